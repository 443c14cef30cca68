/// A strict RFC 8259 JSON parser straight from bytes to `JSONValue`. Foundation's `JSONDecoder`
/// through `Codable` cost ~10% of the router's CPU per request; this does the same job in one pass.
/// Depth is bounded so hostile, deeply nested input fails cleanly instead of exhausting the stack.
package struct JSONParser {
    package struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        package var offset: Int
        package var reason: String
        package var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    package static let maximumDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// `skipValue` also refuses numbers `parse` refuses (beyond a double's range), so that what
    /// `objectMembers` accepts, `parse` accepts.
    private var checksNumberRange = false

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    package static func parse(_ data: some Collection<UInt8>) throws(SyntaxError) -> JSONValue {
        let result: Result<JSONValue, SyntaxError> =
            data.withContiguousStorageIfAvailable { buffer in
                Self.parse(buffer: buffer)
            } ?? Array(data).withUnsafeBufferPointer { buffer in
                Self.parse(buffer: buffer)
            }
        return try result.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, SyntaxError> {
        readWhole(buffer, checksNumberRange: false) { parser throws(SyntaxError) in try parser.parseValue() }
    }

    /// One member of a top-level object: its key, decoded, and where its value is in the
    /// document (byte offsets).
    package struct Member: Sendable, Equatable {
        package var key: String
        package var value: Range<Int>
    }

    /// Checks `bytes` as strictly as `parse` and, when they are an object, returns its members in
    /// order (a repeated key each time it comes) without building any value; nil for a valid
    /// document that is not an object. For request bodies: the router reads a few members and
    /// parses just those (`parse` of a member's bytes), and most requests go upstream as the
    /// client's own bytes. Building the whole tree was ~5% of a proxied request's instructions
    /// for a one-line chat, and grows with the prompt.
    package static func objectMembers(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> [Member]? {
        try readWhole(bytes, checksNumberRange: true) { parser throws(SyntaxError) in try parser.indexObject() }.get()
    }

    /// Checks that `data` is one valid JSON value, as strictly as `parse`, without building it:
    /// for a body relayed as it came, where only its validity matters.
    package static func validate(_ data: some Collection<UInt8>) throws(SyntaxError) {
        let result: Result<Void, SyntaxError> =
            data.withContiguousStorageIfAvailable { buffer in
                Self.validate(buffer: buffer)
            } ?? Array(data).withUnsafeBufferPointer { buffer in
                Self.validate(buffer: buffer)
            }
        try result.get()
    }

    private static func validate(buffer: UnsafeBufferPointer<UInt8>) -> Result<Void, SyntaxError> {
        if quickCheck(buffer) == true { return .success(()) }
        return validateRecursively(buffer)
    }

    /// The validator `quickCheck` answers for when it can, and is checked against.
    static func validateRecursively(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<Void, SyntaxError> {
        readWhole(buffer, checksNumberRange: false) { parser throws(SyntaxError) in try parser.skipValue() }
    }

    /// `read` over the whole of `buffer`: whitespace around the value, nothing after it. Inlined,
    /// so each caller's `read` is too.
    @inline(__always)
    private static func readWhole<Value>(
        _ buffer: UnsafeBufferPointer<UInt8>, checksNumberRange: Bool, _ read: (inout JSONParser) throws(SyntaxError) -> Value
    ) -> Result<Value, SyntaxError> {
        var parser = JSONParser(bytes: buffer)
        parser.checksNumberRange = checksNumberRange
        do throws(SyntaxError) {
            parser.skipWhitespace()
            let value = try read(&parser)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("unexpected data after the JSON value") }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    /// `parseObject`'s walk with each member's value skipped (validated) and its place kept; a
    /// document that is not an object is validated whole and gives nil.
    private mutating func indexObject() throws(SyntaxError) -> [Member]? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            try skipValue()
            return nil
        }
        var members: [Member] = []
        try walkObject { parser, key throws(SyntaxError) in
            let valueStart = parser.index
            try parser.skipValue()
            members.append(Member(key: key, value: valueStart..<parser.index))
        }
        return members
    }

    /// Walks the object at `index` (its `{`) to past its `}`, handing each member's key to
    /// `member`, which reads the value that starts at `index`.
    @inline(__always)
    private mutating func walkObject(_ member: (inout JSONParser, String) throws(SyntaxError) -> Void) throws(SyntaxError) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    private func error(_ reason: String) -> SyntaxError {
        SyntaxError(offset: index, reason: reason)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    /// `parseValue` without the value: containers walked, strings and numbers checked in place.
    private mutating func skipValue() throws(SyntaxError) {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            try enter()
            defer { depth -= 1 }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    try skipString()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == close {
                    index += 1
                    return
                } else {
                    throw error(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            let isInteger = try scanNumber()
            // What `parseNumber` refuses: beyond a double's range (an integer too long for Int64
            // becomes a double there, so only long ones are read).
            if checksNumberRange, !isInteger || index - start > 18 {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                guard let double = Double(text), double.isFinite else { throw SyntaxError(offset: start, reason: "number out of range") }
            }
        default: throw error("unexpected character")
        }
    }

    /// A string's escapes and UTF-8 checked, nothing kept. Only non-ASCII runs are decoded.
    private mutating func skipString() throws(SyntaxError) {
        index += 1  // opening quote
        var runStart = index
        var hasNonASCII = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if hasNonASCII { _ = try Self.validatedString(UnsafeBufferPointer(rebasing: bytes[runStart..<index]), at: runStart) }
                hasNonASCII = false
                index += 1
                if byte == UInt8(ascii: "\"") { return }
                guard index < bytes.count else { throw error("unexpected end of input") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    _ = try parseUnicodeEscape()
                default:
                    throw error("invalid escape")
                }
                runStart = index
                continue
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte >= 0x80 { hasNonASCII = true }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func expect(_ literal: StaticString) throws(SyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nested deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        // Members are gathered first so the dictionary is made once at its final size: grown
        // key by key it was reallocated and rehashed several times per object. Unlabelled, as
        // `Dictionary(_:uniquingKeysWith:)` takes them: a labelled array was converted element by
        // element through the runtime's dynamic casts.
        var members: [(String, JSONValue)] = []
        try walkObject { parser, key throws(SyntaxError) in members.append((key, try parser.parseValue())) }
        // A repeated key keeps its last value.
        return .object(members.isEmpty ? [:] : Dictionary(members, uniquingKeysWith: { _, last in last }))
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return try Self.validatedString(slice, at: start)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in string") }
            index += 1
        }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<min(index, bytes.count)]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try scalars.withUnsafeBufferPointer { buffer throws(SyntaxError) in try Self.validatedString(buffer, at: start) }
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unexpected end of input") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    scalars.append(contentsOf: Array(String(Character(try parseUnicodeEscape())).utf8))
                default:
                    throw error("invalid escape")
                }
            default:
                if byte < 0x20 { throw error("control character in string") }
                scalars.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// The scalar of a `\\uXXXX` escape (after the `u`), a surrogate pair taken whole.
    private mutating func parseUnicodeEscape() throws(SyntaxError) -> Unicode.Scalar {
        var code = try parseHex4()
        if (0xD800...0xDBFF).contains(code) {
            // A high surrogate must be followed by an escaped low surrogate.
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw error("unpaired surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("invalid unicode escape") }
        return scalar
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of input") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Invalid UTF-8 is an error, not silently repaired: a proxy must not alter what it forwards.
    private static func validatedString(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) throws(SyntaxError) -> String {
        // ASCII (every key, most values) needs no validation. `String(validating:as:)` is not
        // specialized here: a runtime generic-metadata lookup for every string (~2% of the
        // router's CPU per request).
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw SyntaxError(offset: offset, reason: "invalid UTF-8 in string")
        }
        return string
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = index
        let isInteger = try scanNumber()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else { throw SyntaxError(offset: start, reason: "number out of range") }
        return .double(double)
    }

    /// Moves past a number's grammar; true when it has no fraction or exponent.
    private mutating func scanNumber() throws(SyntaxError) -> Bool {
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        return isInteger
    }
}
