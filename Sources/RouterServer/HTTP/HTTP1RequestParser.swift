import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// One part of a request read off a client connection.
enum HTTP1RequestPart {
    /// The head, as HTTP types; `keepAlive` is what the version and `Connection` ask for.
    case head(HTTPRequest, keepAlive: Bool)
    case body(ByteBuffer)
    case end
}

/// A client connection's HTTP/1.1 request parser (RFC 9112): bytes in, request parts out, straight
/// to HTTP types.
///
/// NIO's `HTTPRequestDecoder` (llhttp behind a `ByteToMessageHandler`) built each head as an
/// `HTTPRequestHead` of `String` pairs, passed every part through the pipeline as `NIOAny`, and the
/// router then converted the head to HTTP types; ~20,000 of the ~225,000 instructions of a proxied
/// request (callgrind, docs/benchmarks.md). This reads the head once from the bytes.
///
/// Strict where leniency has bitten HTTP servers (request smuggling): one `Content-Length` value,
/// never with `Transfer-Encoding`; `chunked` the only transfer coding; no folded lines; no control
/// characters; no space before a field's colon. Lines may end in LF alone (RFC 9112 §2.2 allows
/// it). Empty lines before a request line are skipped (§2.2). A partial head is searched from
/// where the last read's search stopped, so a client trickling bytes costs linear time.
struct HTTP1RequestParser {
    enum Failure: Error, Equatable {
        /// Not HTTP/1.x, or broken framing: answered 400, the connection closed.
        case malformed(String)
        /// A head past `maximumHeadBytes` or `maximumFields`: answered 431, the connection closed.
        case headTooLarge
    }

    /// Hummingbird's limits, as before: 80 KiB of head, 1,000 fields.
    static let maximumHeadBytes = 80 * 1024
    static let maximumFields = 1000
    /// A chunk-size line, extensions and all.
    static let maximumChunkLineBytes = 4096

    private enum State {
        case head
        case endPending
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed
    }

    private var state = State.head
    /// Bytes read and not yet parsed.
    private var buffer = ByteBuffer()
    /// How far into `buffer` the search for the end of a head (or of the trailers) has come.
    private var searched = 0
    /// The last head's fields, to reuse those sent again byte for byte.
    private var repeated = RepeatedFields()

    /// A read's bytes. Then call `next()` until it returns nil.
    mutating func append(_ bytes: ByteBuffer) {
        if case .failed = state { return }
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer.writeBuffer(&bytes)
        }
    }

    /// The next complete part, or nil when more bytes are needed. After a failure, every later
    /// call returns nil and the bytes are dropped.
    mutating func next() throws(Failure) -> HTTP1RequestPart? {
        do throws(Failure) {
            return try nextPart()
        } catch {
            state = .failed
            buffer = ByteBuffer()
            throw error
        }
    }

    private mutating func nextPart() throws(Failure) -> HTTP1RequestPart? {
        switch state {
        case .failed:
            return nil
        case .head:
            guard let (head, framing) = try readHead() else { return nil }
            switch framing {
            case .none: state = .endPending
            case .length(let length): state = length == 0 ? .endPending : .fixedBody(remaining: length)
            case .chunked: state = .chunkSize
            }
            return head
        case .endPending:
            state = .head
            return .end
        case .fixedBody(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let length = min(remaining, buffer.readableBytes)
            let part = buffer.readSlice(length: length)!
            state = length == remaining ? .endPending : .fixedBody(remaining: remaining - length)
            return .body(part)
        case .chunkSize:
            guard let size = try readChunkSize() else { return nil }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return try nextPart()
        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let length = min(remaining, buffer.readableBytes)
            let part = buffer.readSlice(length: length)!
            state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
            return .body(part)
        case .chunkDataEnd:
            let bytes = buffer.readableBytesView
            guard let first = bytes.first else { return nil }
            if first == .lf {
                buffer.moveReaderIndex(forwardBy: 1)
            } else {
                guard bytes.count >= 2 else { return nil }
                guard first == .cr, bytes[bytes.startIndex + 1] == .lf else { throw .malformed("no line end after chunk data") }
                buffer.moveReaderIndex(forwardBy: 2)
            }
            state = .chunkSize
            return try nextPart()
        case .trailers:
            guard try skipTrailers() else { return nil }
            state = .head
            return .end
        }
    }

    // MARK: The head

    private enum Framing {
        case none
        case length(Int)
        case chunked
    }

    private mutating func readHead() throws(Failure) -> (HTTP1RequestPart, Framing)? {
        // Empty lines before the request line are ignored (RFC 9112 §2.2).
        while let first = buffer.readableBytesView.first, first == .cr || first == .lf {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard buffer.readableBytes > 0 else {
            searched = 0
            return nil
        }
        let bytes = buffer
        let from = searched
        let end: Int? = bytes.withUnsafeReadableBytes { raw in Self.endOfHead(in: raw, from: from) }
        guard let end else {
            guard bytes.readableBytes <= Self.maximumHeadBytes else { throw .headTooLarge }
            // Resume at the start of the last (incomplete) line next time.
            searched = bytes.withUnsafeReadableBytes { raw in Self.startOfLastLine(in: raw) }
            return nil
        }
        guard end <= Self.maximumHeadBytes else { throw .headTooLarge }
        searched = 0
        let parsed = try bytes.withUnsafeReadableBytes { raw throws(Failure) in
            try Self.parseHead(UnsafeRawBufferPointer(rebasing: raw[..<end]), repeated: &repeated)
        }
        buffer.moveReaderIndex(forwardBy: end)
        return parsed
    }

    /// The offset just past the empty line that ends a head, if it has arrived.
    private static func endOfHead(in raw: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var lineStart = start
        var index = start
        while index < raw.count {
            if raw[index] == .lf {
                let length = index - lineStart
                if length == 0 || (length == 1 && raw[lineStart] == .cr) { return index + 1 }
                lineStart = index + 1
            }
            index += 1
        }
        return nil
    }

    private static func startOfLastLine(in raw: UnsafeRawBufferPointer) -> Int {
        var index = raw.count
        while index > 0, raw[index - 1] != .lf { index -= 1 }
        return index
    }

    /// One line of a head: `[start, end)` without its line ending.
    private struct Lines {
        let raw: UnsafeRawBufferPointer
        var position = 0

        mutating func next() -> Range<Int>? {
            guard position < raw.count else { return nil }
            var index = position
            while raw[index] != .lf { index += 1 }  // every head ends in a line feed
            let start = position
            position = index + 1
            let end = index > start && raw[index - 1] == .cr ? index - 1 : index
            return start..<end
        }
    }

    private static func parseHead(_ raw: UnsafeRawBufferPointer, repeated: inout RepeatedFields) throws(Failure) -> (HTTP1RequestPart, Framing) {
        var lines = Lines(raw: raw)
        guard let requestLine = lines.next() else { throw .malformed("no request line") }
        let line = try RequestLine(raw, requestLine)
        let fieldsStart = lines.position

        var fields = HTTPFields()
        fields.reserveCapacity(repeated.fields.count + 2)
        var changed = false
        var hostLine: Range<Int>?
        var authority: String?
        var contentLength: Int?
        var chunked = false
        var transferEncodings = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var count = 0
        while let range = lines.next(), !range.isEmpty {
            count += 1
            guard count <= maximumFields else { throw .headTooLarge }
            let field = try FieldLine(raw, range)
            let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
            let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
            switch field.name.count {
            case 4 where equalsIgnoringASCIICase(name, "host"):
                // The first Host is the authority (a pseudo-field), not a field, as HTTP types do.
                if authority == nil {
                    authority = repeated.authority(value)
                    hostLine = range
                    continue
                }
            case 14 where equalsIgnoringASCIICase(name, "content-length"):
                guard let length = decimal(value) else { throw .malformed("invalid Content-Length") }
                guard contentLength == nil || contentLength == length else { throw .malformed("conflicting Content-Length fields") }
                contentLength = length
            case 17 where equalsIgnoringASCIICase(name, "transfer-encoding"):
                transferEncodings += 1
                guard transferEncodings == 1, equalsIgnoringASCIICase(value, "chunked") else {
                    throw .malformed("unsupported Transfer-Encoding (only chunked)")
                }
                chunked = true
            case 10 where equalsIgnoringASCIICase(name, "connection"):
                forEachToken(value) { token in
                    if equalsIgnoringASCIICase(token, "close") { connectionClose = true }
                    if equalsIgnoringASCIICase(token, "keep-alive") { connectionKeepAlive = true }
                }
            default:
                break
            }
            if let same = repeated.field(fields.count, sameAs: UnsafeRawBufferPointer(rebasing: raw[range])) {
                fields.append(same)
            } else {
                // From a string: HTTP types' validation of a string is cheaper than of bytes.
                fields.append(HTTPField(name: fieldName(name), value: String(decoding: value, as: UTF8.self)))
                changed = true
            }
        }
        if changed || fields.count != repeated.fields.count {
            repeated.remember(fields, lines: raw, from: fieldsStart, skipping: hostLine)
        }

        let framing: Framing
        if chunked {
            guard contentLength == nil else { throw .malformed("both Content-Length and Transfer-Encoding") }
            guard line.isHTTP11 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            framing = .chunked
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = .none
        }
        let keepAlive = line.isHTTP11 ? !connectionClose : connectionKeepAlive && !connectionClose
        let request = try line.request(raw, authority: authority, fields: fields, repeated: &repeated)
        return (.head(request, keepAlive: keepAlive), framing)
    }

    private struct RequestLine {
        let method: Range<Int>
        let target: Range<Int>
        let isHTTP11: Bool

        init(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) throws(Failure) {
            var index = line.lowerBound
            while index < line.upperBound, isTokenByte(raw[index]) { index += 1 }
            guard index > line.lowerBound, index < line.upperBound, raw[index] == .space else { throw .malformed("invalid method") }
            method = line.lowerBound..<index
            index += 1
            let targetStart = index
            // Visible ASCII only: no spaces, controls or raw non-ASCII in a request target.
            while index < line.upperBound, raw[index] > .space, raw[index] < 0x7F { index += 1 }
            guard index > targetStart, index < line.upperBound, raw[index] == .space else { throw .malformed("invalid request target") }
            target = targetStart..<index
            let version = UnsafeRawBufferPointer(rebasing: raw[(index + 1)..<line.upperBound])
            if version.elementsEqual("HTTP/1.1".utf8) {
                isHTTP11 = true
            } else if version.elementsEqual("HTTP/1.0".utf8) {
                isHTTP11 = false
            } else {
                throw .malformed("not HTTP/1.0 or HTTP/1.1")
            }
        }

        func request(_ raw: UnsafeRawBufferPointer, authority: String?, fields: HTTPFields, repeated: inout RepeatedFields) throws(Failure) -> HTTPRequest {
            let method = Self.method(UnsafeRawBufferPointer(rebasing: raw[self.method]))
            let target = repeated.target(UnsafeRawBufferPointer(rebasing: raw[self.target]))
            // Origin form (`/…`): every request a client sends to a server. The others (`*`, an
            // absolute URL) go HTTP types' own way.
            if raw[self.target.lowerBound] == UInt8(ascii: "/") {
                return HTTPRequest(method: method, scheme: "http", authority: authority, path: target, headerFields: fields)
            }
            var headers = HTTPHeaders()
            if let authority { headers.add(name: "host", value: authority) }
            for field in fields { headers.add(name: field.name.rawName, value: field.value) }
            let head = HTTPRequestHead(version: isHTTP11 ? .http1_1 : .http1_0, method: HTTPMethod(rawValue: method.rawValue), uri: target, headers: headers)
            do {
                return try HTTPRequest(head, secure: false, splitCookie: false)
            } catch {
                throw .malformed("invalid request target")
            }
        }

        private static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPRequest.Method {
            switch bytes.count {
            case 3 where bytes.elementsEqual("GET".utf8): return .get
            case 4 where bytes.elementsEqual("POST".utf8): return .post
            case 4 where bytes.elementsEqual("HEAD".utf8): return .head
            default: return HTTPRequest.Method(String(decoding: bytes, as: UTF8.self))!  // a token, so valid
            }
        }
    }

    private struct FieldLine {
        let name: Range<Int>
        let value: Range<Int>

        init(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) throws(Failure) {
            var index = line.lowerBound
            while index < line.upperBound, isTokenByte(raw[index]) { index += 1 }
            // Also refuses a folded line (leading space) and a space before the colon.
            guard index > line.lowerBound, index < line.upperBound, raw[index] == .colon else { throw .malformed("invalid field line") }
            name = line.lowerBound..<index
            index += 1
            while index < line.upperBound, raw[index] == .space || raw[index] == .tab { index += 1 }
            var end = line.upperBound
            while end > index, raw[end - 1] == .space || raw[end - 1] == .tab { end -= 1 }
            for position in index..<end {
                let byte = raw[position]
                guard byte >= .space || byte == .tab, byte != 0x7F else { throw .malformed("control character in a field value") }
            }
            value = index..<end
        }
    }

    /// Names a client sends on nearly every request are made once (`HTTPField.Name(_:)`
    /// validates and lowercases a new string each time).
    private static func fieldName(_ bytes: UnsafeRawBufferPointer) -> HTTPField.Name {
        switch bytes.count {
        case 6 where equalsIgnoringASCIICase(bytes, "accept"): return .accept
        case 6 where equalsIgnoringASCIICase(bytes, "expect"): return .expect
        case 9 where equalsIgnoringASCIICase(bytes, "x-api-key"): return .apiKey
        case 10 where equalsIgnoringASCIICase(bytes, "user-agent"): return .userAgent
        case 10 where equalsIgnoringASCIICase(bytes, "connection"): return .connection
        case 12 where equalsIgnoringASCIICase(bytes, "content-type"): return .contentType
        case 13 where equalsIgnoringASCIICase(bytes, "authorization"): return .authorization
        case 14 where equalsIgnoringASCIICase(bytes, "content-length"): return .contentLength
        case 15 where equalsIgnoringASCIICase(bytes, "accept-encoding"): return .acceptEncoding
        case 17 where equalsIgnoringASCIICase(bytes, "anthropic-version"): return .anthropicVersion
        default: return HTTPField.Name(String(decoding: bytes, as: UTF8.self))!  // a token, so valid
        }
    }

    /// `1*DIGIT`, at most 18 digits (no overflow).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: ",") {
            var lower = start
            var upper = index
            while lower < upper, bytes[lower] == .space || bytes[lower] == .tab { lower += 1 }
            while upper > lower, bytes[upper - 1] == .space || bytes[upper - 1] == .tab { upper -= 1 }
            body(UnsafeRawBufferPointer(rebasing: bytes[lower..<upper]))
            start = index + 1
        }
    }

    /// A client on a kept-alive connection sends most fields again byte for byte (its key, content
    /// type, user agent, host, path): those are taken from the last head, a compare instead of a new
    /// name, value and validation each (~1,000 instructions a field).
    private struct RepeatedFields {
        /// Heads larger than this are not kept: a connection holds one small head at most.
        static let maximumBytes = 8 * 1024

        /// The last head's field lines (its first Host aside), one after another.
        private var bytes: [UInt8] = []
        private var lines: [Range<Int>] = []
        private(set) var fields: [HTTPField] = []
        private var lastAuthority: String?
        private var lastTarget = ""

        func field(_ index: Int, sameAs line: UnsafeRawBufferPointer) -> HTTPField? {
            guard index < lines.count, lines[index].count == line.count else { return nil }
            let same = bytes.withUnsafeBytes { kept in sameBytes(UnsafeRawBufferPointer(rebasing: kept[lines[index]]), line) }
            return same ? fields[index] : nil
        }

        mutating func remember(_ fields: HTTPFields, lines raw: UnsafeRawBufferPointer, from start: Int, skipping hostLine: Range<Int>?) {
            self.fields = []
            bytes = []
            lines = []
            guard raw.count <= Self.maximumBytes else { return }
            var head = Lines(raw: raw, position: start)
            while let range = head.next(), !range.isEmpty {
                if range == hostLine { continue }
                lines.append(bytes.count..<(bytes.count + range.count))
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[range]))
            }
            self.fields = Array(fields)
        }

        mutating func authority(_ bytes: UnsafeRawBufferPointer) -> String {
            if var lastAuthority, lastAuthority.withUTF8({ sameBytes(UnsafeRawBufferPointer($0), bytes) }) { return lastAuthority }
            let authority = String(decoding: bytes, as: UTF8.self)
            lastAuthority = authority
            return authority
        }

        mutating func target(_ bytes: UnsafeRawBufferPointer) -> String {
            if lastTarget.withUTF8({ sameBytes(UnsafeRawBufferPointer($0), bytes) }) { return lastTarget }
            lastTarget = String(decoding: bytes, as: UTF8.self)
            return lastTarget
        }
    }

    // MARK: Chunked bodies

    /// A chunk-size line's size (extensions ignored), if the line has arrived.
    private mutating func readChunkSize() throws(Failure) -> Int? {
        let line: Range<Int>? = buffer.withUnsafeReadableBytes { raw in
            guard let lf = raw.firstIndex(of: .lf) else { return nil }
            return 0..<(lf > 0 && raw[lf - 1] == .cr ? lf - 1 : lf)
        }
        guard let line else {
            guard buffer.readableBytes <= Self.maximumChunkLineBytes else { throw .malformed("chunk-size line too long") }
            return nil
        }
        guard line.count <= Self.maximumChunkLineBytes else { throw .malformed("chunk-size line too long") }
        let size = try buffer.withUnsafeReadableBytes { raw throws(Failure) -> Int in
            var index = 0
            var size = 0
            while index < line.upperBound, let digit = hexDigit(raw[index]) {
                guard index < 15 else { throw .malformed("chunk too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw .malformed("invalid chunk size") }
            while index < line.upperBound, raw[index] == .space || raw[index] == .tab { index += 1 }
            // chunk-ext: `;name[=value]…`, ignored; but no control characters.
            guard index == line.upperBound || raw[index] == UInt8(ascii: ";") else { throw .malformed("invalid chunk size") }
            for position in index..<line.upperBound where raw[position] < .space && raw[position] != .tab {
                throw .malformed("control character in a chunk extension")
            }
            return size
        }
        let lineEnd = buffer.withUnsafeReadableBytes { raw in raw.firstIndex(of: .lf)! + 1 }
        buffer.moveReaderIndex(forwardBy: lineEnd)
        return size
    }

    /// Past the trailer section (its fields checked and dropped) and its empty line, if arrived.
    private mutating func skipTrailers() throws(Failure) -> Bool {
        let bytes = buffer
        let from = searched
        guard let end = bytes.withUnsafeReadableBytes({ raw in Self.endOfHead(in: raw, from: from) }) else {
            guard bytes.readableBytes <= Self.maximumHeadBytes else { throw .headTooLarge }
            searched = bytes.withUnsafeReadableBytes { raw in Self.startOfLastLine(in: raw) }
            return false
        }
        searched = 0
        try bytes.withUnsafeReadableBytes { raw throws(Failure) in
            var lines = Lines(raw: UnsafeRawBufferPointer(rebasing: raw[..<end]))
            while let range = lines.next(), !range.isEmpty { _ = try FieldLine(raw, range) }
        }
        buffer.moveReaderIndex(forwardBy: end)
        return true
    }
}

/// RFC 9110 `tchar`.
private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
        UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"),
        UInt8(ascii: "~"):
        true
    default: false
    }
}

private func isUppercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }

private func hexDigit(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

extension UInt8 {
    fileprivate static let lf = UInt8(ascii: "\n")
    fileprivate static let cr = UInt8(ascii: "\r")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let colon = UInt8(ascii: ":")
}
