extension JSONParser {
    /// Whether `bytes` is one valid JSON value, in one flat loop: `validate`'s answer for the
    /// bodies a proxy relays (an upstream's answer: a few hundred bytes to megabytes, every request),
    /// at a few instructions a byte where the recursive validator took ~20. Nil when it cannot tell
    /// cheaply (a `\u` escape, whose surrogate pairing the recursive validator checks); false leaves
    /// the recursive validator to say where and why. Never true for what `validate` refuses (the
    /// FuzzJSON target and `FuzzTests` compare the two).
    static func quickCheck(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let base = bytes.baseAddress else { return false }
        let end = bytes.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: maximumDepth + 1) { isObject -> Bool? in
            var index = 0
            var depth = 0
            var expectingValue = true

            func skipWhitespace() {
                while index < end {
                    switch base[index] {
                    case 0x20, 0x0A, 0x0D, 0x09: index += 1
                    default: return
                    }
                }
            }

            /// At an opening quote: past the string, or false / nil as `quickCheck` says.
            func string() -> Bool? {
                // Plain characters in a local: `index` is captured, so kept in memory.
                var plain = index + 1
                while plain < end {
                    let byte = base[plain]
                    guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                    plain += 1
                }
                index = plain
                while index < end {
                    let byte = base[index]
                    if byte == UInt8(ascii: "\"") {
                        index += 1
                        return true
                    }
                    if byte == UInt8(ascii: "\\") {
                        guard index + 1 < end else { return false }
                        switch base[index + 1] {
                        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                            UInt8(ascii: "r"), UInt8(ascii: "t"):
                            index += 2
                        case UInt8(ascii: "u"): return nil
                        default: return false
                        }
                    } else if byte < 0x20 {
                        return false
                    } else if byte < 0x80 {
                        index += 1
                    } else {
                        guard let length = utf8Sequence() else { return false }
                        index += length
                    }
                }
                return false
            }

            /// The length of the well-formed UTF-8 sequence at `index` (RFC 3629: no overlong
            /// forms, no surrogates, nothing past U+10FFFF), as `String(validating:)` decides.
            func utf8Sequence() -> Int? {
                let lead = base[index]
                func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
                    index + offset < end && range.contains(base[index + offset])
                }
                switch lead {
                case 0xC2...0xDF:
                    return continuation(1) ? 2 : nil
                case 0xE0...0xEF:
                    let second: ClosedRange<UInt8> = lead == 0xE0 ? 0xA0...0xBF : lead == 0xED ? 0x80...0x9F : 0x80...0xBF
                    return continuation(1, second) && continuation(2) ? 3 : nil
                case 0xF0...0xF4:
                    let second: ClosedRange<UInt8> = lead == 0xF0 ? 0x90...0xBF : lead == 0xF4 ? 0x80...0x8F : 0x80...0xBF
                    return continuation(1, second) && continuation(2) && continuation(3) ? 4 : nil
                default:
                    return nil
                }
            }

            func digits() -> Bool {
                let start = index
                while index < end, base[index] >= UInt8(ascii: "0"), base[index] <= UInt8(ascii: "9") { index += 1 }
                return index > start
            }

            /// RFC 8259's number grammar (`scanNumber`).
            func number() -> Bool {
                if base[index] == UInt8(ascii: "-") { index += 1 }
                guard index < end else { return false }
                if base[index] == UInt8(ascii: "0") {
                    index += 1
                } else if !digits() {
                    return false
                }
                if index < end, base[index] == UInt8(ascii: ".") {
                    index += 1
                    guard digits() else { return false }
                }
                if index < end, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
                    index += 1
                    if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index += 1 }
                    guard digits() else { return false }
                }
                return true
            }

            func literal(_ text: StaticString) -> Bool {
                let count = text.utf8CodeUnitCount
                guard index + count <= end else { return false }
                for offset in 0..<count where base[index + offset] != text.utf8Start[offset] { return false }
                index += count
                return true
            }

            /// At a key's opening quote: past the key and its colon.
            func key() -> Bool? {
                guard index < end, base[index] == UInt8(ascii: "\"") else { return false }
                switch string() {
                case nil: return nil
                case false?: return false
                case true?: break
                }
                skipWhitespace()
                guard index < end, base[index] == UInt8(ascii: ":") else { return false }
                index += 1
                return true
            }

            while true {
                skipWhitespace()
                if !expectingValue, depth == 0 { return index == end }
                guard index < end else { return false }
                let byte = base[index]
                if expectingValue {
                    switch byte {
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                        guard depth <= maximumDepth else { return false }
                        isObject[depth] = byte == UInt8(ascii: "{")
                        index += 1
                        skipWhitespace()
                        guard index < end else { return false }
                        if base[index] == (isObject[depth] ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                            index += 1
                            depth -= 1
                            expectingValue = false
                        } else if isObject[depth] {
                            guard let valid = key() else { return nil }
                            guard valid else { return false }
                        }
                    case UInt8(ascii: "\""):
                        guard let valid = string() else { return nil }
                        guard valid else { return false }
                        expectingValue = false
                    case UInt8(ascii: "t"):
                        guard literal("true") else { return false }
                        expectingValue = false
                    case UInt8(ascii: "f"):
                        guard literal("false") else { return false }
                        expectingValue = false
                    case UInt8(ascii: "n"):
                        guard literal("null") else { return false }
                        expectingValue = false
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                        guard number() else { return false }
                        expectingValue = false
                    default:
                        return false
                    }
                } else if byte == UInt8(ascii: ",") {
                    index += 1
                    expectingValue = true
                    if isObject[depth] {
                        skipWhitespace()
                        guard let valid = key() else { return nil }
                        guard valid else { return false }
                    }
                } else if byte == (isObject[depth] ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    depth -= 1
                } else {
                    return false
                }
            }
        }
    }
}
