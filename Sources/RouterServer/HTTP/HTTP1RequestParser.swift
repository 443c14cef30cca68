import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// A client's request head, as HTTP types; `keepAlive` is what its version and `Connection` ask
/// for; `routingPath` the target's path without its query (most often the target itself).
struct HTTP1RequestHead {
    var request: HTTPRequest
    var keepAlive: Bool
    var routingPath: String
}

/// The server side: `HTTP1Parser` reading requests, straight to HTTP types.
typealias HTTP1RequestParser = HTTP1Parser<HTTP1RequestHeadReader>

extension HTTP1Parser<HTTP1RequestHeadReader> {
    init() { self.init(reader: HTTP1RequestHeadReader()) }
}

/// Request heads (RFC 9112 §3) to HTTP types, as NIO's decoder and HTTP types' conversion made
/// them (`HTTP1RequestParserTests` compares). A request body is framed by `Content-Length` or
/// `chunked`, else there is none.
struct HTTP1RequestHeadReader: HTTP1HeadReader {
    /// The last head's field lines and their fields (nil for the Host taken as the authority).
    private var repeated = RepeatedFieldLines<HTTPField?>()
    /// The last head's authority and request target, for the same reason.
    private var lastAuthority: String?
    private var lastTarget = ""

    mutating func read(_ raw: UnsafeRawBufferPointer) throws(HTTP1ParseFailure) -> (HTTP1RequestHead, HTTP1Framing) {
        var lines = HTTP1Lines(raw: raw)
        guard let requestLine = lines.next() else { throw .malformed("no request line") }
        let line = try RequestLine(raw, requestLine)
        let fieldsStart = lines.position

        var fields = HTTPFields()
        fields.reserveCapacity(repeated.count)
        var changed = false
        var authorityLine: Int?
        var authority: String?
        var framingFields = HTTP1FramingFields()
        var count = 0
        while let range = lines.next(), !range.isEmpty {
            count += 1
            guard count <= HTTP1Limits.maximumFields else { throw .headTooLarge }
            let seen = repeated.match(count - 1, in: raw, range)
            let field = if let seen { seen.line } else { try HTTP1FieldLine(raw, range) }
            let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
            let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
            // The first Host is the authority (a pseudo-field), not a field, as HTTP types do.
            if authority == nil, equalsIgnoringASCIICase(name, "host") {
                authority = Self.reused(&lastAuthority, value)
                authorityLine = count - 1
                changed = changed || seen == nil
                continue
            }
            try framingFields.take(name, value)
            if let same = seen?.field ?? nil {
                fields.append(same)
            } else {
                // From a string: HTTP types' validation of a string is cheaper than of bytes.
                fields.append(HTTPField(name: Self.fieldName(name), value: String(decoding: value, as: UTF8.self)))
                changed = true
            }
        }
        if changed || count != repeated.count {
            var kept: [HTTPField?] = Array(fields)
            if let authorityLine { kept.insert(nil, at: authorityLine) }
            repeated.remember(raw, from: fieldsStart, fields: kept)
        }

        let framing = try framingFields.bodyFraming(otherwise: .none)
        if case .chunked = framing, !line.isHTTP11 { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
        let keepAlive = framingFields.keepAlive(isHTTP11: line.isHTTP11)
        let target = Self.reused(&lastTarget, UnsafeRawBufferPointer(rebasing: raw[line.target]))
        let request = try line.request(raw, target: target, authority: authority, fields: fields)
        return (HTTP1RequestHead(request: request, keepAlive: keepAlive, routingPath: request.routingPath), framing)
    }

    private struct RequestLine {
        let method: Range<Int>
        let target: Range<Int>
        let isHTTP11: Bool

        init(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTP1ParseFailure) {
            guard var index = tokenEnd(raw, line, before: .space) else { throw .malformed("invalid method") }
            method = line.lowerBound..<index
            index += 1
            let targetStart = index
            // Visible ASCII only: no spaces, controls or raw non-ASCII in a request target.
            while index < line.upperBound, raw[index] > .space, raw[index] < 0x7F { index += 1 }
            guard index > targetStart, index < line.upperBound, raw[index] == .space else { throw .malformed("invalid request target") }
            target = targetStart..<index
            isHTTP11 = try parseHTTPVersion(UnsafeRawBufferPointer(rebasing: raw[(index + 1)..<line.upperBound]))
        }

        func request(_ raw: UnsafeRawBufferPointer, target: String, authority: String?, fields: HTTPFields) throws(HTTP1ParseFailure) -> HTTPRequest {
            let method = Self.method(UnsafeRawBufferPointer(rebasing: raw[self.method]))
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

    /// `last` if it spells `bytes`, else a new string, kept in `last`.
    private static func reused(_ last: inout String, _ bytes: UnsafeRawBufferPointer) -> String {
        if last.withUTF8({ sameBytes(UnsafeRawBufferPointer($0), bytes) }) { return last }
        last = String(decoding: bytes, as: UTF8.self)
        return last
    }

    private static func reused(_ last: inout String?, _ bytes: UnsafeRawBufferPointer) -> String {
        var string = last ?? ""
        defer { last = string }
        return reused(&string, bytes)
    }
}
