/// The JSON writing shared by log lines and `usage --json`: minimal escaping, UTF-8 passed through.
enum AccessLogJSON {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendString(_ value: String?, to bytes: inout [UInt8]) {
        guard var value else {
            appendLiteral("null", to: &bytes)
            return
        }
        // Over the string's own bytes (`withUTF8` makes them contiguous if they were not): walking
        // `value.utf8` was ~600 instructions a field, nine fields a line.
        value.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // Nearly every value needs no escaping: copy it in one go.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }) {
                bytes.append(contentsOf: utf8)
                bytes.append(UInt8(ascii: "\""))
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): appendLiteral(#"\""#, to: &bytes)
                case UInt8(ascii: "\\"): appendLiteral(#"\\"#, to: &bytes)
                case UInt8(ascii: "\n"): appendLiteral(#"\n"#, to: &bytes)
                case UInt8(ascii: "\r"): appendLiteral(#"\r"#, to: &bytes)
                case UInt8(ascii: "\t"): appendLiteral(#"\t"#, to: &bytes)
                case 0..<0x20, 0x7F:
                    appendLiteral(#"\u00"#, to: &bytes)
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0x0F)])
                default:
                    // Multi-byte UTF-8 passes through unchanged: JSON text is UTF-8.
                    bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// A literal's bytes in one copy (`append(contentsOf: "…".utf8)` iterated the view).
    static func appendLiteral(_ literal: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    static func appendInteger(_ value: Int?, to bytes: inout [UInt8]) {
        guard let value else {
            appendLiteral("null", to: &bytes)
            return
        }
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            for index in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(buffer[index])
            }
        }
    }

    /// `value` rounded to 3 decimals (a duration in milliseconds to the microsecond), written as
    /// `appendNumber` writes that rounded value (`12`, `0.5`, `3.25`, `0.001`) without going
    /// through `Double.description`.
    static func appendThousandths(_ value: Double?, to bytes: inout [UInt8]) {
        guard let value, value.isFinite, value.magnitude < 1e12 else {
            return appendNumber(value.map { ($0 * 1000).rounded() / 1000 }, to: &bytes)
        }
        let thousandths = Int((value * 1000).rounded())
        if thousandths < 0 { bytes.append(UInt8(ascii: "-")) }
        appendInteger(Int(thousandths.magnitude / 1000), to: &bytes)
        var fraction = Int(thousandths.magnitude % 1000)
        guard fraction != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var divisor = 100
        while fraction != 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    static func appendNumber(_ value: Double?, to bytes: inout [UInt8]) {
        guard let value, value.isFinite else {
            appendLiteral("null", to: &bytes)
            return
        }
        if value == value.rounded(), value.magnitude < 1e15 {
            appendInteger(Int(value), to: &bytes)
        } else {
            // Swift prints the shortest round-tripping form (`0.0042`, `1e-05`), all valid JSON numbers.
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    static func string(_ value: String) -> String {
        var bytes: [UInt8] = []
        appendString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
