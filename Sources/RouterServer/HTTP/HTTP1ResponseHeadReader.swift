/// An upstream's response head: status, fields as sent, and whether the connection stays open.
struct HTTP1ResponseHead {
    var status: Int
    var headers: [(name: String, value: String)]
    var keepAlive: Bool
}

/// The upstream client's side: `HTTP1Parser` reading responses.
typealias HTTP1ResponseParser = HTTP1Parser<HTTP1ResponseHeadReader>

extension HTTP1Parser<HTTP1ResponseHeadReader> {
    init() { self.init(reader: HTTP1ResponseHeadReader()) }
}

/// Response heads (RFC 9112 §4) and their framing (§6.3): none for a 1xx, 204 or 304, nor for the
/// answer to a HEAD (`answersHead`, set before each request); else `chunked`, `Content-Length`, or
/// the rest of the connection. `PlainHTTPClientTests` compares with NIO's decoder.
struct HTTP1ResponseHeadReader: HTTP1HeadReader {
    /// The request now answered was a HEAD: its response has no body, whatever its fields say.
    var answersHead = false
    /// The last head's field lines, to reuse those sent again byte for byte.
    private var repeated = RepeatedFieldLines<(name: String, value: String)>()

    mutating func read(_ raw: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) -> (HTTP1ResponseHead, HTTP1Framing) {
        var lines = HTTP1Lines(raw: raw)
        guard let statusLine = lines.next() else { throw .malformed("no status line") }
        let (status, isHTTP11) = try Self.statusLine(UnsafeRawBufferPointer(rebasing: raw[statusLine]))
        let fieldsStart = lines.position
        var changed = false

        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(repeated.count)
        var framingFields = HTTP1FramingFields()
        while let range = lines.next(), !range.isEmpty {
            guard headers.count < HTTP1Limits.maximumFields else { throw .headTooLarge }
            let seen = repeated.match(headers.count, in: raw, range)
            let field = if let seen { seen.line } else { try HTTP1FieldLine(raw, range) }
            let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
            let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
            try framingFields.take(name, value)
            if let seen {
                headers.append(seen.field)
            } else {
                headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
                changed = true
            }
        }
        if changed || headers.count != repeated.count { repeated.remember(raw, from: fieldsStart, fields: headers) }

        let hasNoBody = answersHead || status < 200 || status == 204 || status == 304
        let framing = hasNoBody ? .none : try framingFields.bodyFraming(otherwise: .untilClose)
        // A body that runs until the connection closes leaves nothing to keep alive.
        var keepAlive = framingFields.keepAlive(isHTTP11: isHTTP11)
        if case .untilClose = framing { keepAlive = false }
        // The next head answers another request; a 1xx is followed by its request's real answer.
        if status >= 200 { answersHead = false }
        return (HTTP1ResponseHead(status: status, headers: headers, keepAlive: keepAlive), framing)
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason]`, the reason anything printable (or nothing at all).
    private static func statusLine(_ line: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) -> (status: Int, isHTTP11: Bool) {
        guard line.count >= 12, line[8] == UInt8(ascii: " ") else { throw .malformed("invalid status line") }
        let isHTTP11 = try parseHTTPVersion(UnsafeRawBufferPointer(rebasing: line[..<8]))
        guard let status = httpDecimal(UnsafeRawBufferPointer(rebasing: line[9..<12])), status >= 100 else { throw .malformed("invalid status code") }
        if line.count > 12 {
            guard line[12] == UInt8(ascii: " ") else { throw .malformed("invalid status line") }
            for byte in line[13...] where byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
                throw .malformed("control character in the reason phrase")
            }
        }
        return (status, isHTTP11)
    }
}
