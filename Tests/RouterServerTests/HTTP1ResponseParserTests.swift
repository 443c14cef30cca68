import NIOCore
import NIOEmbedded
import NIOHTTP1
import RouterCore
import Testing

@testable import RouterServer

@Suite struct HTTP1ResponseParserTests {
    struct Parsed: Equatable {
        var status: Int
        var headers: [String]
        var keepAlive: Bool
        var body: [UInt8] = []
    }

    /// Every response in `chunks` (answers to `methods`, in order), then the connection's close.
    static func parse(_ chunks: [[UInt8]], methods: [HTTPMethod]) -> (responses: [Parsed], failure: HTTP1ParseFailure?) {
        var parser = HTTP1ResponseParser()
        var methods = methods[...]
        parser.reader.answersHead = methods.popFirst() == .HEAD
        var responses: [Parsed] = []
        func take(_ part: HTTP1Part<HTTP1ResponseHead>) {
            switch part {
            case .head(let head):
                responses.append(Parsed(status: head.status, headers: head.headers.map { "\($0.name): \($0.value)" }, keepAlive: head.keepAlive))
            case .body(let bytes):
                responses[responses.count - 1].body += Array(bytes.readableBytesView)
            case .end:
                if responses.last.map({ $0.status >= 200 }) ?? false { parser.reader.answersHead = methods.popFirst() == .HEAD }
            }
        }
        do {
            for chunk in chunks {
                parser.append(ByteBuffer(bytes: chunk))
                while let part = try parser.next() { take(part) }
            }
            if let part = try parser.finish() { take(part) }
        } catch {
            return (responses, error)
        }
        return (responses, nil)
    }

    /// The same bytes through NIO's own client decoder, after requests with `methods`.
    static func parseWithNIO(_ text: String, methods: [HTTPMethod]) throws -> [Parsed] {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        for method in methods {
            try channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")))
            try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        }
        try channel.writeInbound(ByteBuffer(string: text))
        try? channel.close().wait()  // the end of a body that runs until the connection closes
        var responses: [Parsed] = []
        while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
            switch part {
            case .head(let head):
                responses.append(Parsed(status: Int(head.status.code), headers: head.headers.map { "\($0.name): \($0.value)" }, keepAlive: head.isKeepAlive))
            case .body(let bytes): responses[responses.count - 1].body += Array(bytes.readableBytesView)
            case .end: break
            }
        }
        return responses
    }

    static let ordinary: [(String, HTTPMethod)] = [
        ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nDate: Thu, 03 Dec 2026 13:14:36 GMT\r\n\r\n{\"ok\":true}", .POST),
        ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata: \r\n9;x=y\r\n{\"a\":1}\n\n\r\n0\r\nX-T: 1\r\n\r\n", .POST),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", .POST),
        ("HTTP/1.1 204 No Content\r\nX-A: a\r\n\r\n", .GET),
        ("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", .GET),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", .HEAD),
        ("HTTP/1.1 429 \r\nRetry-After:  7\r\nContent-Length: 2\r\n\r\n{}", .POST),
        ("HTTP/1.1 503\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", .GET),
    ]

    /// Status, fields, keep-alive and body, one by one and back to back on one connection, as
    /// NIO's decoder reads the same bytes; split anywhere, the same again.
    @Test func agreesWithNIOsDecoder() throws {
        for (text, method) in Self.ordinary {
            let (ours, failure) = Self.parse([Array(text.utf8)], methods: [method])
            #expect(failure == nil, "\(text)")
            // NIO's decoder passes no 1xx on; the connection skips them.
            #expect(ours.filter { $0.status >= 200 } == (try Self.parseWithNIO(text, methods: [method])), "\(text)")
        }
        let kept = Self.ordinary.filter { !$0.0.contains("close") }
        // Twice over, and the first again with its content type changed: on one connection, a
        // field line seen before is taken from the last head.
        let first = kept[0]
        let changedType = (first.0.replacingOccurrences(of: "application/json", with: "application/jsoN"), first.1)
        let responses = kept + kept + [first, changedType, first]
        let stream = responses.map(\.0).joined()
        let methods = responses.map(\.1)
        let whole = Self.parse([Array(stream.utf8)], methods: methods)
        #expect(whole.failure == nil)
        #expect(whole.responses.count == responses.count + 2)  // and the 100 Continues
        #expect(whole.responses.filter { $0.status >= 200 } == (try Self.parseWithNIO(stream, methods: methods)))

        let bytes = Array(stream.utf8)
        var random = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            var chunks: [[UInt8]] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + Int(random.next() % 30))
                chunks.append(Array(bytes[start..<end]))
                start = end
            }
            #expect(Self.parse(chunks, methods: methods).responses == whole.responses)
        }
    }

    /// Without a length or chunking, the body is what comes until the upstream closes; a body
    /// cut short by the close is a failure, not an answer.
    @Test func aBodyWithoutALengthRunsUntilTheConnectionCloses() throws {
        let text = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this, and more"
        let (ours, failure) = Self.parse([Array(text.utf8)], methods: [.GET])
        #expect(failure == nil)
        #expect(ours.map(\.keepAlive) == [false])
        #expect(ours == (try Self.parseWithNIO(text, methods: [.GET])))
        #expect(String(decoding: ours.first?.body ?? [], as: UTF8.self) == "all of this, and more")

        for cut in ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "HTTP/1.1 200 OK\r\nContent-"] {
            #expect(Self.parse([Array(cut.utf8)], methods: [.GET]).failure != nil, "\(cut.debugDescription)")
        }
    }

    /// Where this parser and NIO's differ, on purpose: a field value's trailing whitespace is not
    /// part of it (RFC 9110 §5.5; NIO keeps it).
    @Test func fieldValuesLoseTheirSurroundingWhitespace() {
        let text = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: \t 7 \t\r\nContent-Length: 0\r\n\r\n"
        #expect(Self.parse([Array(text.utf8)], methods: [.POST]).responses.first?.headers == ["Retry-After: 7", "Content-Length: 0"])
    }

    @Test func refusesMalformedAndAmbiguousResponses() {
        let malformed = [
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 200 O\u{1}K\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ]
        for text in malformed {
            guard case .malformed? = Self.parse([Array(text.utf8)], methods: [.GET]).failure else {
                Issue.record("not refused: \(text.debugDescription)")
                continue
            }
        }
        let huge = "HTTP/1.1 200 OK\r\n" + String(repeating: "x-pad: " + String(repeating: "p", count: 1000) + "\r\n", count: 90)
        #expect(Self.parse([Array(huge.utf8)], methods: [.GET]).failure == .headTooLarge)
    }
}
