extension JSONParser {
    /// Whether `bytes` is one valid JSON value, in one flat loop: `validate`'s answer for the
    /// bodies a proxy relays (an upstream's answer: a few hundred bytes to megabytes, every request),
    /// at a fraction of the recursive validator's instructions. Nil when it cannot tell cheaply (a
    /// `\u` escape, whose surrogate pairing the recursive validator checks); false leaves the
    /// recursive validator to say where and why. Never true for what `validate` refuses (the
    /// FuzzJSON target and `FuzzTests` compare the two).
    ///
    /// The position is a local passed `inout` to inlined helpers, so it stays in a register (as a
    /// variable captured by nested functions it was kept in memory: ~15 instructions a byte).
    static func quickCheck(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let base = bytes.baseAddress else { return false }
        let end = bytes.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: maximumDepth + 1) { isObject -> Bool? in
            var index = 0
            var depth = 0
            /// A value has just ended: a comma, a closing bracket or the end comes next.
            var afterValue = false
            while true {
                QuickCheck.skipWhitespace(base, end, &index)
                if afterValue {
                    if depth == 0 { return index == end }
                    guard index < end else { return false }
                    let byte = base[index]
                    if byte == UInt8(ascii: ",") {
                        index += 1
                        afterValue = false
                        if isObject[depth] {
                            guard let valid = QuickCheck.key(base, end, &index) else { return nil }
                            guard valid else { return false }
                        }
                    } else if byte == (isObject[depth] ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        index += 1
                        depth -= 1
                    } else {
                        return false
                    }
                    continue
                }
                guard index < end else { return false }
                switch base[index] {
                case UInt8(ascii: "\""):
                    guard let valid = QuickCheck.string(base, end, &index) else { return nil }
                    guard valid else { return false }
                    afterValue = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    guard depth <= maximumDepth else { return false }
                    let object = base[index] == UInt8(ascii: "{")
                    isObject[depth] = object
                    index += 1
                    QuickCheck.skipWhitespace(base, end, &index)
                    guard index < end else { return false }
                    if base[index] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        index += 1
                        depth -= 1
                        afterValue = true
                    } else if object {
                        guard let valid = QuickCheck.key(base, end, &index) else { return nil }
                        guard valid else { return false }
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard QuickCheck.number(base, end, &index) else { return false }
                    afterValue = true
                case UInt8(ascii: "t"):
                    guard QuickCheck.literal("true", base, end, &index) else { return false }
                    afterValue = true
                case UInt8(ascii: "f"):
                    guard QuickCheck.literal("false", base, end, &index) else { return false }
                    afterValue = true
                case UInt8(ascii: "n"):
                    guard QuickCheck.literal("null", base, end, &index) else { return false }
                    afterValue = true
                default:
                    return false
                }
            }
        }
    }
}

/// `quickCheck`'s pieces: each at `index` in `base[..<end]`, moving it past what it read.
private enum QuickCheck {
    @inline(__always)
    static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) {
        while index < end {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// At a key's opening quote (after whitespace): past the key and its colon.
    @inline(__always)
    static func key(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool? {
        skipWhitespace(base, end, &index)
        guard index < end, base[index] == UInt8(ascii: "\"") else { return false }
        guard let valid = string(base, end, &index) else { return nil }
        guard valid else { return false }
        skipWhitespace(base, end, &index)
        guard index < end, base[index] == UInt8(ascii: ":") else { return false }
        index += 1
        return true
    }

    /// At an opening quote: past the string; false for an invalid one, nil at a `\u` escape.
    @inline(__always)
    static func string(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool? {
        index += 1
        while index < end {
            let byte = base[index]
            if byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                index += 1
                return true
            } else if byte == UInt8(ascii: "\\") {
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
            } else {
                guard let length = utf8Sequence(base, end, index) else { return false }
                index += length
            }
        }
        return false
    }

    /// The length of the well-formed UTF-8 sequence at `index` (RFC 3629: no overlong forms, no
    /// surrogates, nothing past U+10FFFF), as `String(validating:)` decides.
    static func utf8Sequence(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: Int) -> Int? {
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

    @inline(__always)
    static func digits(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool {
        let start = index
        while index < end, base[index] >= UInt8(ascii: "0"), base[index] <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    /// RFC 8259's number grammar (`scanNumber`).
    static func number(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool {
        if base[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end else { return false }
        if base[index] == UInt8(ascii: "0") {
            index += 1
        } else if !digits(base, end, &index) {
            return false
        }
        if index < end, base[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(base, end, &index) else { return false }
        }
        if index < end, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(base, end, &index) else { return false }
        }
        return true
    }

    static func literal(_ text: StaticString, _ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= end else { return false }
        for offset in 0..<count where base[index + offset] != text.utf8Start[offset] { return false }
        index += count
        return true
    }
}
