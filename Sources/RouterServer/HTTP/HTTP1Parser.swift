import NIOCore

/// One part of an HTTP/1.1 message read off a connection.
enum HTTP1Part<Head> {
    case head(Head)
    case body(ByteBuffer)
    case end
}

enum HTTP1Limits {
    /// Hummingbird's limits, as before: 80 KiB of head, 1,000 fields.
    static let maximumHeadBytes = 80 * 1024
    static let maximumFields = 1000
    /// A chunk-size line, extensions and all.
    static let maximumChunkLineBytes = 4096
}

enum HTTP1ParseFailure: Error, Equatable {
    /// Not HTTP/1.x, or broken framing.
    case malformed(String)
    /// A head past `HTTP1Limits`.
    case headTooLarge
}

/// How a message's body is delimited (RFC 9112 §6).
enum HTTP1Framing {
    case none
    case length(Int)
    case chunked
    /// A response with neither length nor chunking: its body is what comes until the connection closes.
    case untilClose
}

/// What turns a head's bytes (start line, fields, the empty line) into a message head and its
/// framing: requests for the server side, responses for the upstream client.
protocol HTTP1HeadReader {
    associatedtype Head
    mutating func read(_ head: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) -> (Head, HTTP1Framing)
}

/// An HTTP/1.1 message parser (RFC 9112): a connection's bytes in, message parts out. The head is
/// its reader's; the framing of bodies (length, chunked with extensions and trailers, until close)
/// is shared.
///
/// NIO's decoders (llhttp behind a `ByteToMessageHandler`) built each head as `String` pairs and
/// passed every part through the pipeline as `NIOAny`, and the router then converted the head;
/// ~20,000 of the ~225,000 instructions of a proxied request on the client side alone (callgrind,
/// docs/benchmarks.md, "Performance pass 6").
///
/// Strict where leniency has bitten HTTP implementations (request smuggling, response splitting):
/// one `Content-Length` value, never with `Transfer-Encoding`; `chunked` the only transfer coding;
/// no folded lines; no control characters; no space before a field's colon. Lines may end in LF
/// alone (RFC 9112 §2.2 allows it). Empty lines before a start line are skipped (§2.2). A partial
/// head is searched from where the last read's search stopped, so a peer trickling bytes costs
/// linear time.
struct HTTP1Parser<Reader: HTTP1HeadReader> {
    private enum State {
        case head
        case endPending
        case fixedBody(remaining: Int)
        case untilClose
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed
    }

    var reader: Reader
    private var state = State.head
    /// Bytes read and not yet parsed.
    private var buffer = ByteBuffer()
    /// How far into `buffer` the search for the end of a head (or of the trailers) has come.
    private var searched = 0

    init(reader: Reader) {
        self.reader = reader
    }

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
    mutating func next() throws(HTTP1ParseFailure) -> HTTP1Part<Reader.Head>? {
        do throws(HTTP1ParseFailure) {
            return try nextPart()
        } catch {
            state = .failed
            buffer = ByteBuffer()
            throw error
        }
    }

    /// The connection closed: the end of a body that runs until then, nil between messages, and
    /// a failure for a message cut short.
    mutating func finish() throws(HTTP1ParseFailure) -> HTTP1Part<Reader.Head>? {
        switch state {
        case .untilClose:
            state = .head
            return .end
        case .head where buffer.readableBytesView.allSatisfy({ $0 == .cr || $0 == .lf }), .failed:
            return nil
        default:
            state = .failed
            throw .malformed("the connection closed mid-message")
        }
    }

    private mutating func nextPart() throws(HTTP1ParseFailure) -> HTTP1Part<Reader.Head>? {
        switch state {
        case .failed:
            return nil
        case .head:
            guard let (head, framing) = try readHead() else { return nil }
            switch framing {
            case .none: state = .endPending
            case .length(let length): state = length == 0 ? .endPending : .fixedBody(remaining: length)
            case .chunked: state = .chunkSize
            case .untilClose: state = .untilClose
            }
            return .head(head)
        case .endPending:
            state = .head
            return .end
        case .fixedBody(let remaining):
            guard let (part, left) = takeBody(upTo: remaining) else { return nil }
            state = left == 0 ? .endPending : .fixedBody(remaining: left)
            return .body(part)
        case .untilClose:
            guard buffer.readableBytes > 0 else { return nil }
            return .body(buffer.readSlice(length: buffer.readableBytes)!)
        case .chunkSize:
            guard let size = try readChunkSize() else { return nil }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return try nextPart()
        case .chunkData(let remaining):
            guard let (part, left) = takeBody(upTo: remaining) else { return nil }
            state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
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

    /// Up to `remaining` bytes of body that have arrived (a slice of the read, not a copy), and
    /// how many are still to come; nil when none have.
    private mutating func takeBody(upTo remaining: Int) -> (ByteBuffer, left: Int)? {
        guard buffer.readableBytes > 0 else { return nil }
        let length = min(remaining, buffer.readableBytes)
        return (buffer.readSlice(length: length)!, remaining - length)
    }

    // MARK: The head

    private mutating func readHead() throws(HTTP1ParseFailure) -> (Reader.Head, HTTP1Framing)? {
        // Empty lines before a start line are ignored (RFC 9112 §2.2).
        while let first = buffer.readableBytesView.first, first == .cr || first == .lf {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard buffer.readableBytes > 0 else {
            searched = 0
            return nil
        }
        guard let end = try endOfLines() else { return nil }
        guard end <= HTTP1Limits.maximumHeadBytes else { throw .headTooLarge }
        let bytes = buffer
        let parsed = try bytes.withUnsafeReadableBytes { raw throws(HTTP1ParseFailure) in
            try reader.read(UnsafeRawBufferPointer(rebasing: raw[..<end]))
        }
        buffer.moveReaderIndex(forwardBy: end)
        return parsed
    }

    /// Where the lines at the start of `buffer` (a head, or a chunked body's trailers) end, just
    /// past their empty line, if it has arrived. The search resumes where the last one stopped;
    /// lines still arriving past `maximumHeadBytes` are refused.
    private mutating func endOfLines() throws(HTTP1ParseFailure) -> Int? {
        let from = searched
        guard let end = buffer.withUnsafeReadableBytes({ raw in Self.endOfHead(in: raw, from: from) }) else {
            guard buffer.readableBytes <= HTTP1Limits.maximumHeadBytes else { throw .headTooLarge }
            // Resume at the start of the last (incomplete) line next time.
            searched = buffer.withUnsafeReadableBytes { raw in Self.startOfLastLine(in: raw) }
            return nil
        }
        searched = 0
        return end
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

    // MARK: Chunked bodies

    /// A chunk-size line's size (extensions ignored), if the line has arrived.
    private mutating func readChunkSize() throws(HTTP1ParseFailure) -> Int? {
        let lf: Int? = buffer.withUnsafeReadableBytes { raw in raw.firstIndex(of: .lf) }
        guard let lf else {
            guard buffer.readableBytes <= HTTP1Limits.maximumChunkLineBytes else { throw .malformed("chunk-size line too long") }
            return nil
        }
        let size = try buffer.withUnsafeReadableBytes { raw throws(HTTP1ParseFailure) -> Int in
            let line = 0..<(lf > 0 && raw[lf - 1] == .cr ? lf - 1 : lf)
            guard line.count <= HTTP1Limits.maximumChunkLineBytes else { throw .malformed("chunk-size line too long") }
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
        buffer.moveReaderIndex(forwardBy: lf + 1)
        return size
    }

    /// Past the trailer section (its fields checked and dropped) and its empty line, if arrived.
    private mutating func skipTrailers() throws(HTTP1ParseFailure) -> Bool {
        guard let end = try endOfLines() else { return false }
        try buffer.withUnsafeReadableBytes { raw throws(HTTP1ParseFailure) in
            var lines = HTTP1Lines(raw: UnsafeRawBufferPointer(rebasing: raw[..<end]))
            while let range = lines.next(), !range.isEmpty { _ = try HTTP1FieldLine(raw, range) }
        }
        buffer.moveReaderIndex(forwardBy: end)
        return true
    }
}

/// One line of a head: `[start, end)` without its line ending.
struct HTTP1Lines {
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

/// What a head's framing fields say (`Content-Length`, `Transfer-Encoding`, `Connection`), taken
/// field by field; the same rules for requests and responses.
struct HTTP1FramingFields {
    private(set) var contentLength: Int?
    private(set) var chunked = false
    private var transferEncodings = 0
    private var connectionClose = false
    private var connectionKeepAlive = false

    /// Notes the field if it is one of them.
    mutating func take(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) {
        switch name.count {
        case 14 where equalsIgnoringASCIICase(name, "content-length"):
            guard let length = httpDecimal(value) else { throw .malformed("invalid Content-Length") }
            guard contentLength == nil || contentLength == length else { throw .malformed("conflicting Content-Length fields") }
            contentLength = length
        case 17 where equalsIgnoringASCIICase(name, "transfer-encoding"):
            transferEncodings += 1
            guard transferEncodings == 1, equalsIgnoringASCIICase(value, "chunked") else {
                throw .malformed("unsupported Transfer-Encoding (only chunked)")
            }
            chunked = true
        case 10 where equalsIgnoringASCIICase(name, "connection"):
            forEachHTTPToken(value) { token in
                if equalsIgnoringASCIICase(token, "close") { connectionClose = true }
                if equalsIgnoringASCIICase(token, "keep-alive") { connectionKeepAlive = true }
            }
        default:
            break
        }
    }

    /// The body's framing these fields give: `chunked` (never beside a length), the length, or
    /// `otherwise` when there is neither.
    func bodyFraming(otherwise: HTTP1Framing) throws(HTTP1ParseFailure) -> HTTP1Framing {
        if chunked {
            guard contentLength == nil else { throw .malformed("both Content-Length and Transfer-Encoding") }
            return .chunked
        }
        if let contentLength { return .length(contentLength) }
        return otherwise
    }

    /// HTTP/1.1 stays open unless `close`; HTTP/1.0 only with `keep-alive`.
    func keepAlive(isHTTP11: Bool) -> Bool {
        isHTTP11 ? !connectionClose : connectionKeepAlive && !connectionClose
    }
}

/// One field line of a head: its name and its value, the value without surrounding whitespace.
struct HTTP1FieldLine {
    let name: Range<Int>
    let value: Range<Int>

    init(name: Range<Int>, value: Range<Int>) {
        self.name = name
        self.value = value
    }

    init(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTP1ParseFailure) {
        // Also refuses a folded line (leading space) and a space before the colon.
        guard var index = tokenEnd(raw, line, before: .colon) else { throw .malformed("invalid field line") }
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

/// `1*DIGIT`, at most 18 digits (no overflow).
func httpDecimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

func forEachHTTPToken(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
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

/// Where the token at the start of `line` ends, if it is not empty and `separator` follows it.
func tokenEnd(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>, before separator: UInt8) -> Int? {
    var index = line.lowerBound
    while index < line.upperBound, isTokenByte(raw[index]) { index += 1 }
    guard index > line.lowerBound, index < line.upperBound, raw[index] == separator else { return nil }
    return index
}

/// Whether `version` says HTTP/1.1 (false: HTTP/1.0; anything else is refused).
func parseHTTPVersion(_ version: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) -> Bool {
    if version.elementsEqual("HTTP/1.1".utf8) { return true }
    if version.elementsEqual("HTTP/1.0".utf8) { return false }
    throw .malformed("not HTTP/1.0 or HTTP/1.1")
}

/// RFC 9110 `tchar`.
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
        UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"),
        UInt8(ascii: "~"):
        true
    default: false
    }
}

private func hexDigit(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

extension UInt8 {
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
}

/// The field lines of a connection's last head and what was made of each: a peer on a kept-alive
/// connection sends most lines again byte for byte (a client's key, content type and user agent;
/// an upstream's content type), and a line seen before costs a compare instead of a scan, a
/// validation and new strings (~1,000 instructions a field).
struct RepeatedFieldLines<Field> {
    /// Heads larger than this are not kept: a connection holds one small head at most.
    static var maximumBytes: Int { 8 * 1024 }

    private struct Line {
        var bytes: Range<Int>
        var nameLength: Int
        /// The value's place within the line.
        var value: Range<Int>
        var field: Field
    }

    private var bytes: [UInt8] = []
    private var lines: [Line] = []

    var count: Int { lines.count }

    /// The `index`-th field line of the last head, if `range` of `raw` is the same bytes: its parse
    /// (placed in `raw`) and what was made of it.
    func match(_ index: Int, in raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> (line: HTTP1FieldLine, field: Field)? {
        // Through the buffer: `lines[index]` would copy the whole entry, field and all.
        lines.withUnsafeBufferPointer { lines in
            guard index < lines.count else { return nil }
            let kept = lines.baseAddress! + index
            guard kept.pointee.bytes.count == range.count,
                bytes.withUnsafeBytes({ bytes in
                    sameBytes(UnsafeRawBufferPointer(rebasing: bytes[kept.pointee.bytes]), UnsafeRawBufferPointer(rebasing: raw[range]))
                })
            else { return nil }
            let start = range.lowerBound
            let value = (start + kept.pointee.value.lowerBound)..<(start + kept.pointee.value.upperBound)
            return (HTTP1FieldLine(name: start..<(start + kept.pointee.nameLength), value: value), kept.pointee.field)
        }
    }

    /// Keeps the field lines of the head in `raw` (from `start`), `fields[i]` made of the i-th.
    mutating func remember(_ raw: UnsafeRawBufferPointer, from start: Int, fields: [Field]) {
        bytes.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        guard raw.count <= Self.maximumBytes else { return }
        var head = HTTP1Lines(raw: raw, position: start)
        for field in fields {
            guard let range = head.next(), !range.isEmpty, let parsed = try? HTTP1FieldLine(raw, range) else { break }
            let offset = bytes.count
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[range]))
            let value = (parsed.value.lowerBound - range.lowerBound)..<(parsed.value.upperBound - range.lowerBound)
            lines.append(Line(bytes: offset..<bytes.count, nameLength: parsed.name.count, value: value, field: field))
        }
    }
}
