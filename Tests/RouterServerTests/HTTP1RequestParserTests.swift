import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Testing

import RouterCore

@testable import RouterServer

@Suite struct HTTP1RequestParserTests {
    /// A request as the parser gave it: head, keep-alive, and its body's bytes.
    struct Parsed: Equatable {
        var head: HTTPRequest
        var fields: [HTTPField]
        var keepAlive: Bool
        var body: [UInt8] = []
    }

    /// Every request in `chunks`, fed one chunk at a time; the failure, if any, after them.
    static func parse(_ chunks: [[UInt8]]) -> (requests: [Parsed], failure: HTTP1ParseFailure?) {
        var parser = HTTP1RequestParser()
        var requests: [Parsed] = []
        var open = false
        for chunk in chunks {
            parser.append(ByteBuffer(bytes: chunk))
            do {
                while let part = try parser.next() {
                    switch part {
                    case .head(let head):
                        #expect(!open, "a head before the previous request ended")
                        requests.append(Parsed(head: head.request, fields: Array(head.request.headerFields), keepAlive: head.keepAlive))
                        open = true
                    case .body(let bytes):
                        #expect(open)
                        requests[requests.count - 1].body += Array(bytes.readableBytesView)
                    case .end:
                        #expect(open)
                        open = false
                    }
                }
            } catch {
                return (requests, error)
            }
        }
        #expect(!open, "a request did not end")
        return (requests, nil)
    }

    static func parse(_ text: String) -> (requests: [Parsed], failure: HTTP1ParseFailure?) {
        parse([Array(text.utf8)])
    }

    /// The same bytes through NIO's own decoder and HTTP types' own conversion.
    static func parseWithNIO(_ text: String) throws -> [Parsed] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        try channel.writeInbound(ByteBuffer(string: text))
        var requests: [Parsed] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head):
                let request = try HTTPRequest(head, secure: false, splitCookie: false)
                requests.append(Parsed(head: request, fields: Array(request.headerFields), keepAlive: head.isKeepAlive))
            case .body(let bytes): requests[requests.count - 1].body += Array(bytes.readableBytesView)
            case .end: break
            }
        }
        _ = try channel.finish()
        return requests
    }

    static let ordinary = [
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nAuthorization: Bearer lr-x\r\ncontent-length: 12\r\n\r\n{\"model\":1}\n",
        "GET /v1/models?x=1&y=%20 HTTP/1.1\r\nHOST: a\r\nhost: b\r\nCookie: a=1; b=2\r\nX-Odd:   spaced  \r\n\r\n",
        "GET /health HTTP/1.1\r\n\r\n",
        "HEAD //v1//models/ HTTP/1.1\r\naccept: */*\r\nhOsT: c\r\nConnection: close\r\n\r\n",
        "GET http://example.com:81/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "PURGE /cache HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Latin: caf\u{e9}\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: upgrade, close\r\nUser-Agent: curl/8\r\nAccept-Encoding: gzip\r\nExpect: 100-continue\r\n\r\n",
    ]

    /// Head by head, field by field, keep-alive and body, the same as NIO's decoder and HTTP
    /// types' conversion make of the same bytes.
    @Test func agreesWithNIOsDecoder() throws {
        for text in Self.ordinary {
            let (ours, failure) = Self.parse(text)
            #expect(failure == nil, "\(text)")
            let nio = try Self.parseWithNIO(text)
            #expect(ours.count == 1 && ours == nio, "\(text)")
        }
        // On one connection, where a field sent again is taken from the head before: each
        // request alike, twice over, and with one field's value or one name's case changed.
        // (NIO's decoder refuses bytes after a request that closes the connection.)
        let kept = Self.ordinary.filter { Self.parse($0).requests.first?.keepAlive == true }
        let first = Self.ordinary[0]
        let stream = kept.joined() + kept.joined() + first
            + first.replacingOccurrences(of: "Bearer lr-x", with: "Bearer lr-y")
            + first.replacingOccurrences(of: "Content-Type", with: "content-type")
            + first.replacingOccurrences(of: "Host: 127.0.0.1:8080", with: "Host: localhost")
            + first.replacingOccurrences(of: "Authorization: Bearer lr-x\r\n", with: "") + first
        let (ours, failure) = Self.parse(stream)
        #expect(failure == nil)
        let nio = try Self.parseWithNIO(stream)
        #expect(ours.count == kept.count * 2 + 6)
        #expect(ours == nio)
        #expect(ours.map(\.head.authority).suffix(3) == ["localhost", "127.0.0.1:8080", "127.0.0.1:8080"])
    }

    /// Pipelined requests split anywhere (a byte at a time, at random) come out the same as read
    /// in one piece; and lines ending in LF alone read as those ending in CRLF.
    @Test func partsAreTheSameHoweverTheBytesAreSplit() {
        let stream = Array(Self.ordinary.joined().utf8)
        let (whole, failure) = Self.parse([stream])
        #expect(failure == nil)
        #expect(whole.count == Self.ordinary.count)

        #expect(Self.parse(stream.map { [$0] }).requests == whole)
        var random = SeededGenerator(seed: 8)
        for _ in 0..<300 {
            var chunks: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + 1 + Int(random.next() % 40))
                chunks.append(Array(stream[start..<end]))
                start = end
            }
            #expect(Self.parse(chunks).requests == whole)
        }

        let bareLF = Self.parse(Self.ordinary.joined().replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(bareLF.failure == nil)
        #expect(bareLF.requests.map(\.head) == whole.map(\.head))
        // Empty lines between requests are skipped (RFC 9112 §2.2).
        #expect(Self.parse("\r\n\r\nGET /a HTTP/1.1\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n").requests.map(\.head.path) == ["/a", "/b"])
    }

    @Test func keepAliveFollowsTheVersionAndConnection() {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n", true),
        ]
        for (text, keepAlive) in cases {
            #expect(Self.parse(text).requests.map(\.keepAlive) == [keepAlive], "\(text)")
        }
    }

    /// What is not HTTP/1.x, or frames a body two ways, is refused, and nothing after it is read.
    @Test func refusesMalformedAndAmbiguousRequests() {
        let malformed = [
            "GET/ HTTP/1.1\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "G(T / HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "GET / HTTP/1.1 \r\n\r\n",
            "GET /a\u{7}b HTTP/1.1\r\n\r\n",
            "GET /caf\u{e9} HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\n: novalue\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello",
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
            "\u{16}\u{3}\u{1}\0\u{ff}\0\r\n\r\n",
        ]
        for text in malformed {
            let (requests, failure) = Self.parse(text + "GET /after HTTP/1.1\r\n\r\n")
            guard case .malformed = failure else {
                Issue.record("not refused: \(text.debugDescription)")
                continue
            }
            #expect(!requests.contains { $0.head.path == "/after" }, "\(text.debugDescription)")
        }
    }

    /// Heads past 80 KiB or 1,000 fields are refused as soon as they are known to be, even before
    /// they end; a head just under the limits is read.
    @Test func refusesHeadsPastTheLimits() {
        let field = "x-pad: " + String(repeating: "p", count: 1000) + "\r\n"
        let under = "GET / HTTP/1.1\r\n" + String(repeating: field, count: 79) + "\r\n"
        #expect(Self.parse(under).failure == nil)
        let over = "GET / HTTP/1.1\r\n" + String(repeating: field, count: 90)
        #expect(Self.parse(over).failure == .headTooLarge)  // not yet ended
        #expect(Self.parse(over + "\r\n").failure == .headTooLarge)
        let many = "GET / HTTP/1.1\r\n" + (0...HTTP1Limits.maximumFields).map { "x\($0): v\r\n" }.joined() + "\r\n"
        #expect(Self.parse(many).failure == .headTooLarge)
        let enough = "GET / HTTP/1.1\r\n" + (1...HTTP1Limits.maximumFields).map { "x\($0): v\r\n" }.joined() + "\r\n"
        #expect(Self.parse(enough).requests.first?.fields.count == HTTP1Limits.maximumFields)
    }

    /// A body's bytes are slices of the reads they came in, not copies, and a body split across
    /// reads comes out part by part as it arrives.
    @Test func bodiesComeOutAsTheyArrive() throws {
        var parser = HTTP1RequestParser()
        parser.append(ByteBuffer(string: "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123"))
        guard case .head = try parser.next() else { throw ParserTestError.unexpectedPart }
        guard case .body(let first) = try parser.next() else { throw ParserTestError.unexpectedPart }
        #expect(String(buffer: first) == "0123")
        #expect(try parser.next() == nil)
        parser.append(ByteBuffer(string: "456789GET"))
        guard case .body(let second) = try parser.next() else { throw ParserTestError.unexpectedPart }
        #expect(String(buffer: second) == "456789")
        guard case .end = try parser.next() else { throw ParserTestError.unexpectedPart }
        #expect(try parser.next() == nil)  // "GET" is the start of the next head
    }

    enum ParserTestError: Error { case unexpectedPart }
}
