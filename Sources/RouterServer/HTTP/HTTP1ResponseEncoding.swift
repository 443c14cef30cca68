import HTTPTypes
import NIOCore

/// A response's HTTP/1.1 bytes, written by `RequestDispatchHandler` straight to the client's
/// channel. NIO's `HTTPResponseEncoder` took each part as an `HTTPServerResponsePart` (so the head
/// was first converted from HTTP types to NIO's `HTTPHeaders`), unwrapped it from `NIOAny` through
/// a dynamic cast, and wrote a head field by field (four buffer writes a field) and a chunk as
/// three writes; ~10,000 instructions of a proxied request (callgrind). The framing rules are
/// NIO's (`correctlyFrameTransportHeaders`, automatic framing headers):
///
/// - a status that has no body (1xx, 204, 304) loses `content-length` and `transfer-encoding`;
/// - with a `content-length` the body goes as it is, and a `transfer-encoding` is dropped;
/// - otherwise `transfer-encoding: chunked` is set and the body is chunked;
/// - the response to a HEAD keeps those headers but has no body and no last chunk.
///
/// Every response also gets `x-request-id` and `Date`, written here rather than set in its
/// fields (a field set there cost ~1,000 instructions, HTTPFields' generic `replaceSubrange`);
/// they replace any the handler set. Field names and values were checked by HTTP types when they
/// were made (no CR or LF can be in them), so they are copied as they are.
enum HTTP1ResponseEncoding {
    /// Appends the status line and fields of `head`, and says whether its body is chunked.
    static func writeHead(_ head: HTTPResponse, requestID: String, date: String, headOnly: Bool, into buffer: inout ByteBuffer) -> Bool {
        let code = head.status.code
        let mayHaveBody = code >= 200 && code != 204 && code != 304
        let reason = head.status.reasonPhrase
        // One pass for the framing and the size, one to copy: the buffer is sized once.
        var hasContentLength = false
        var size = 9 + 4 + reason.utf8.count + 2 + 2  // "HTTP/1.1 " "200 " reason CRLF … CRLF
        for field in head.headerFields {
            switch FramingField(field.name) {
            case .contentLength: hasContentLength = true
            case .transferEncoding, .requestID, .date: continue  // replaced
            case .other: break
            }
            size += field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2
        }
        let chunked = mayHaveBody && !hasContentLength
        if chunked { size += Self.chunkedField.utf8CodeUnitCount }
        size += 14 + requestID.utf8.count + 2 + 6 + date.utf8.count + 2

        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { output in
            var writer = HTTP1ByteWriter(output: output)
            writer.append("HTTP/1.1 ")
            writer.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: code / 100 % 10))
            writer.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: code / 10 % 10))
            writer.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: code % 10))
            writer.append(" ")
            writer.append(reason)
            writer.append("\r\n")
            for field in head.headerFields {
                switch FramingField(field.name) {
                case .transferEncoding, .requestID, .date: continue  // dropped, or written below
                case .contentLength where !mayHaveBody: continue
                case .contentLength, .other: break
                }
                writer.appendField(field.name.rawName, field.value)
            }
            if chunked { writer.append(Self.chunkedField) }
            writer.appendEndOfHead(requestID: requestID, date: date)
            return writer.offset
        }
        return chunked && !headOnly
    }

    /// A 200's head from fields given as text, for a caller that has no `HTTPResponse`
    /// (`EventLoopProxy`): the bytes `writeHead` makes of the same fields (a test compares). The
    /// fields must be legal and carry the framing (`content-length`); `x-request-id` and `Date`
    /// are added.
    static func writeOKHead(_ fields: [(name: String, value: String)], requestID: String, date: String, into buffer: inout ByteBuffer) {
        var size = 17 + 14 + requestID.utf8.count + 2 + 6 + date.utf8.count + 4
        for field in fields { size += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { output in
            var writer = HTTP1ByteWriter(output: output)
            writer.append("HTTP/1.1 200 OK\r\n")
            for field in fields { writer.appendField(field.name, field.value) }
            writer.appendEndOfHead(requestID: requestID, date: date)
            return writer.offset
        }
    }

    private enum FramingField {
        case contentLength, transferEncoding, requestID, date, other

        /// By length first: nearly every field is none of these, and most are told apart by that alone.
        init(_ name: HTTPField.Name) {
            let canonical = name.canonicalName
            switch canonical.utf8.count {
            case 4 where canonical == "date": self = .date
            case 12 where canonical == "x-request-id": self = .requestID
            case 14 where canonical == "content-length": self = .contentLength
            case 17 where canonical == "transfer-encoding": self = .transferEncoding
            default: self = .other
            }
        }
    }

    private static let chunkedField: StaticString = "transfer-encoding: chunked\r\n"

    /// `data` as one chunk: size line, bytes, CRLF, in one buffer (one write instead of three;
    /// the copy is small next to the write). An empty `data` stays empty: an empty chunk would
    /// end the body.
    static func chunk(_ data: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard data.readableBytes > 0 else { return data }
        var buffer = allocator.buffer(capacity: data.readableBytes + 20)
        buffer.writeString(String(data.readableBytes, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(data)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The last chunk of a chunked body, with its trailers.
    static func lastChunk(trailers: HTTPFields?, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let trailers, !trailers.isEmpty else { return allocator.buffer(staticString: "0\r\n\r\n") }
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeStaticString("0\r\n")
        for field in trailers {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// What the router writes when it has no response of a handler to send.
    static let continueHead: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"
    static let badRequest: StaticString = "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    static let headTooLarge: StaticString = "HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
}

extension HTTP1ByteWriter {
    mutating func appendField(_ name: String, _ value: String) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    /// The two fields every response gets last, and the blank line that ends the head.
    mutating func appendEndOfHead(requestID: String, date: String) {
        append("x-request-id: ")
        append(requestID)
        append("\r\ndate: ")
        append(date)
        append("\r\n\r\n")
    }
}
