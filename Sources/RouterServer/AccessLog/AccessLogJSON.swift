import RouterCore

/// The JSON writing shared by log lines and `usage --json`: minimal escaping, UTF-8 passed through.
enum AccessLogJSON {
    /// A JSON string, or `null`. DEL is escaped too, so a log line holds no raw control byte.
    static func appendString(_ value: String?, to bytes: inout [UInt8]) {
        guard let value else {
            appendLiteral("null", to: &bytes)
            return
        }
        JSONSerializer.writeString(value, into: &bytes, escapingDelete: true)
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
