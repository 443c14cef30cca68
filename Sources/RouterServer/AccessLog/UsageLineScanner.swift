import Foundation

/// Pulls the handful of fields `usage` needs out of one access-log line by scanning its bytes once:
/// a million lines must be summarised in seconds, and `JSONDecoder` per line costs ~10× more.
/// Accepts any JSON object (fields in any order, unknown fields skipped); rejects anything that
/// is not one complete object, such as a torn last line.
enum UsageLineScanner {
    /// A string value's raw bytes (between the quotes); valid only while the line's buffer is.
    struct StringValue {
        let bytes: UnsafeBufferPointer<UInt8>
        let hasEscapes: Bool

        var string: String {
            hasEscapes ? UsageLineScanner.unescape(bytes) : String(decoding: bytes, as: UTF8.self)
        }
    }

    struct Fields {
        var timestamp: Double?
        var status: Int?
        var key: StringValue?
        var model: StringValue?
        var provider: StringValue?
        var inputTokens = 0
        var outputTokens = 0
        var costUSD = 0.0
        var latencyMilliseconds: Double?
        var hasError = false
    }

    private enum Field {
        case timestamp, status, key, model, provider, inputTokens, outputTokens, costUSD, latency, error, other
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// The fields of a complete line (no newline), or nil if it is not a valid record
    /// (not one JSON object, or no parseable `ts` and integer `status`).
    static func scan(_ line: UnsafeBufferPointer<UInt8>) -> Fields? {
        var index = skipWhitespace(line, 0)
        guard index < line.count, line[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var fields = Fields()
        index = skipWhitespace(line, index)
        if index < line.count, line[index] == UInt8(ascii: "}") {
            return nil
        }
        while true {
            guard index < line.count, line[index] == quote else { return nil }
            let keyStart = index + 1
            guard let keyEnd = stringEnd(line, from: keyStart)?.end else { return nil }
            let field = identify(UnsafeBufferPointer(rebasing: line[keyStart..<keyEnd]))
            index = skipWhitespace(line, keyEnd + 1)
            guard index < line.count, line[index] == UInt8(ascii: ":") else { return nil }
            index = skipWhitespace(line, index + 1)
            guard index < line.count else { return nil }
            let valueStart = index
            var stringValue: StringValue?
            switch line[index] {
            case quote:
                guard let end = stringEnd(line, from: index + 1) else { return nil }
                stringValue = StringValue(
                    bytes: UnsafeBufferPointer(rebasing: line[(index + 1)..<end.end]), hasEscapes: end.hasEscapes)
                index = end.end + 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard let end = nestedEnd(line, from: index) else { return nil }
                index = end
            default:
                while index < line.count {
                    let byte = line[index]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || isWhitespace(byte) { break }
                    index += 1
                }
                guard index > valueStart else { return nil }
            }
            let raw = UnsafeBufferPointer(rebasing: line[valueStart..<index])
            switch field {
            case .timestamp:
                fields.timestamp = stringValue.flatMap { AccessLogTimestamp.parseRFC3339($0.bytes) }
            case .status: fields.status = parseInteger(raw)
            case .key: fields.key = stringValue
            case .model: fields.model = stringValue
            case .provider: fields.provider = stringValue
            case .inputTokens: fields.inputTokens = parseInteger(raw) ?? 0
            case .outputTokens: fields.outputTokens = parseInteger(raw) ?? 0
            case .costUSD: fields.costUSD = parseNumber(raw) ?? 0
            case .latency: fields.latencyMilliseconds = parseNumber(raw)
            case .error: fields.hasError = !isNull(raw)
            case .other: break
            }
            index = skipWhitespace(line, index)
            guard index < line.count else { return nil }
            if line[index] == UInt8(ascii: ",") {
                index = skipWhitespace(line, index + 1)
                continue
            }
            guard line[index] == UInt8(ascii: "}") else { return nil }
            index = skipWhitespace(line, index + 1)
            guard index == line.count, fields.timestamp != nil, fields.status != nil else { return nil }
            return fields
        }
    }

    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }

    @inline(__always)
    private static func skipWhitespace(_ line: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var index = start
        while index < line.count && isWhitespace(line[index]) { index += 1 }
        return index
    }

    /// The index of the closing quote of a string whose content starts at `from`.
    @inline(__always)
    private static func stringEnd(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> (end: Int, hasEscapes: Bool)? {
        var index = from
        var hasEscapes = false
        while index < line.count {
            let byte = line[index]
            if byte == quote { return (index, hasEscapes) }
            if byte == backslash {
                hasEscapes = true
                index += 1
            }
            index += 1
        }
        return nil
    }

    /// The index just past a nested object or array starting at `from`.
    private static func nestedEnd(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var depth = 0
        var index = from
        while index < line.count {
            switch line[index] {
            case quote:
                guard let end = stringEnd(line, from: index + 1) else { return nil }
                index = end.end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index + 1 }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    @inline(__always)
    private static func identify(_ name: UnsafeBufferPointer<UInt8>) -> Field {
        func matches(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == name.count
                && memcmp(literal.utf8Start, name.baseAddress!, name.count) == 0
        }
        switch name.count {
        case 2: return matches("ts") ? .timestamp : .other
        case 3: return matches("key") ? .key : .other
        case 5: return matches("model") ? .model : matches("error") ? .error : .other
        case 6: return matches("status") ? .status : .other
        case 8: return matches("provider") ? .provider : matches("cost_usd") ? .costUSD : .other
        case 10: return matches("latency_ms") ? .latency : .other
        case 12: return matches("input_tokens") ? .inputTokens : .other
        case 13: return matches("output_tokens") ? .outputTokens : .other
        default: return .other
        }
    }

    @inline(__always)
    private static func isNull(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        raw.count == 4 && raw[0] == UInt8(ascii: "n") && raw[1] == UInt8(ascii: "u")
    }

    static func parseInteger(_ raw: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !raw.isEmpty else { return nil }
        var index = 0
        let negative = raw[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < raw.count, raw.count - index <= 18 else { return nil }
        var value = 0
        while index < raw.count {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
            index += 1
        }
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// A JSON number; the common short decimals exactly as `Double("…")` would, others through it.
    static func parseNumber(_ raw: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !raw.isEmpty, raw[0] != UInt8(ascii: "n") else { return nil }
        var index = 0
        let negative = raw[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                mantissa = mantissa &* 10 &+ Int(byte &- UInt8(ascii: "0"))
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else {
                break
            }
            index += 1
        }
        if index == raw.count && digits > 0 && digits <= 15 && fractionDigits <= 22 {
            // Both operands exact, so the one division rounds correctly.
            let value = Double(mantissa) / powersOfTen[fractionDigits]
            return negative ? -value : value
        }
        return Double(String(decoding: raw, as: UTF8.self))
    }

    /// Decodes JSON string escapes (`\"`, `\\`, `\n`, `\u00e9`, surrogate pairs); rare in these logs.
    static func unescape(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        func hexValue(at position: Int) -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = bytes[position + offset]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == backslash, index + 1 < bytes.count else {
                output.append(byte)
                index += 1
                continue
            }
            let escaped = bytes[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): output.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "r"): output.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "t"): output.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hexValue(at: index) else { continue }
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count, bytes[index] == backslash,
                    bytes[index + 1] == UInt8(ascii: "u"), let low = hexValue(at: index + 2),
                    (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                output.append(contentsOf: String(character).utf8)
            default: output.append(escaped)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
