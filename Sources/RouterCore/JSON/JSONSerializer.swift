/// Compact JSON text from a `JSONValue`, written straight into bytes (no Codable round trip).
package enum JSONSerializer {
    /// `sortingKeys` writes object members in key order, for output people read and compare
    /// (the CLI's `--json`, the daemon's status endpoints, error bodies); otherwise they come in
    /// the dictionary's order, which differs from one process to the next.
    package static func serialize(_ value: JSONValue, sortingKeys: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output, sortingKeys: sortingKeys)
        return output
    }

    package static func write(_ value: JSONValue, into output: inout [UInt8], sortingKeys: Bool = false) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer): output.append(contentsOf: String(integer).utf8)
        case .double(let double):
            if double.isFinite {
                // Whole doubles keep a decimal point so they read back as doubles.
                output.append(contentsOf: double.description.utf8)
            } else {
                output.append(contentsOf: "null".utf8)
            }
        case .string(let string): writeString(string, into: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output, sortingKeys: sortingKeys)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            func member(_ key: String, _ element: JSONValue) {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(element, into: &output, sortingKeys: sortingKeys)
            }
            if sortingKeys {
                for key in object.keys.sorted() { member(key, object[key]!) }
            } else {
                for (key, element) in object { member(key, element) }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `escapingDelete` also writes DEL (0x7F) as `\u007f`, for text read in terminals (the
    /// access log); JSON only requires the escapes below 0x20.
    package static func writeString(_ string: String, into output: inout [UInt8], escapingDelete: Bool = false) {
        output.append(UInt8(ascii: "\""))
        // Runs that need no escape (nearly every string is one) are copied whole from the
        // string's own bytes: byte by byte this was ~1% of a proxied request's instructions.
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            var runStart = 0
            for index in 0..<bytes.count where needsEscape(bytes[index], escapingDelete) {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                appendEscape(of: bytes[index], to: &output)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        if copied == nil {
            for byte in string.utf8 {
                if needsEscape(byte, escapingDelete) { appendEscape(of: byte, to: &output) } else { output.append(byte) }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8, _ escapingDelete: Bool) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (escapingDelete && byte == 0x7F)
    }

    private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
        output.append(0x5C)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        default:
            output.append(UInt8(ascii: "u"))
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "0"))
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
    }
}
