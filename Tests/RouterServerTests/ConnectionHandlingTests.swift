import Foundation
import Testing

@testable import RouterServer

/// The daemon's own request path on a client connection (`RequestDispatchHandler`): keep-alive,
/// pipelining, bodies that arrive after their head, `Connection: close` and the `Date` header,
/// seen as bytes on the wire.
@Suite struct ConnectionHandlingTests {
    static func chat(_ text: String, closing: Bool = false) -> String {
        let body = #"{"model":"echo","messages":[{"role":"user","content":"\#(text)"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + (closing ? "connection: close\r\n" : "") + "\r\n" + body
    }

    /// The status of every response in `raw`, in order (a response's JSON body is followed
    /// directly by the next status line).
    static func statuses(_ raw: String) -> [Int] {
        raw.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await RouterHarness.run { router in
            let raw = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send(Self.chat("one") + Self.chat("two") + Self.chat("three", closing: true))
                return client.readUntilClosed()
            }
            #expect(Self.statuses(raw) == [200, 200, 200], "\(raw.prefix(300))")
            let one = try #require(raw.range(of: "Mock reply: one")), two = try #require(raw.range(of: "Mock reply: two"))
            let three = try #require(raw.range(of: "Mock reply: three"))
            #expect(one.lowerBound < two.lowerBound && two.lowerBound < three.lowerBound)
        }
    }

    @Test func aKeptAliveConnectionServesALaterRequestAndCloseEndsIt() async throws {
        try await RouterHarness.run { router in
            let (raw, closedAfterFirst) = try await RawClient.run(port: router.routerPort) { client -> (String, Bool) in
                client.send(Self.chat("first"))
                client.pause(milliseconds: 150)
                let closed = client.peerClosed
                client.send(Self.chat("second", closing: true))
                return (client.readUntilClosed(), closed)
            }
            #expect(!closedAfterFirst)
            #expect(Self.statuses(raw) == [200, 200])
            #expect(raw.contains("Mock reply: first") && raw.contains("Mock reply: second"))
        }
    }

    @Test func bodiesArrivingAfterTheirHeadAreReadAsTheyCome() async throws {
        try await RouterHarness.run { router in
            // Content-Length, the body in two late parts.
            let request = Self.chat("late", closing: true)
            let split = request.range(of: "\r\n\r\n")!.upperBound
            let head = String(request[..<split]), body = Array(request[split...].utf8)
            let late = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send(head)
                client.pause(milliseconds: 50)
                client.send(Array(body[..<10]))
                client.pause(milliseconds: 50)
                client.send(Array(body[10...]))
                return client.readUntilClosed()
            }
            #expect(Self.statuses(late) == [200], "\(late.prefix(300))")
            #expect(late.contains("Mock reply: late"))

            // Chunked, one chunk a read.
            let json = #"{"model":"echo","messages":[{"role":"user","content":"chunked"}]}"#
            let chunked = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
                for part in [json.prefix(20), json.dropFirst(20)] {
                    client.pause(milliseconds: 30)
                    client.send(String(part.utf8.count, radix: 16) + "\r\n" + part + "\r\n")
                }
                client.send("0\r\n\r\n")
                return client.readUntilClosed()
            }
            #expect(Self.statuses(chunked) == [200], "\(chunked.prefix(300))")
            #expect(chunked.contains("Mock reply: chunked"))
        }
    }

    @Test func responsesCarryADateHeader() async throws {
        try await RouterHarness.run { router in
            let raw = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send(Self.chat("dated", closing: true))
                return client.readUntilClosed()
            }
            let line = try #require(raw.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("date: ") })
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let date = try #require(formatter.date(from: String(line.dropFirst(6))), "\(line)")
            #expect(abs(date.timeIntervalSinceNow) < 5)
            // One of each, written with the head: the request id the access log has.
            let lines = raw.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n").map { $0.lowercased() }
            #expect(lines.filter { $0.hasPrefix("date: ") }.count == 1)
            let ids = lines.filter { $0.hasPrefix("x-request-id: ") }
            #expect(ids.count == 1)
            let logged = try #require(await router.log.all(atLeast: 1).first)
            #expect(ids.first == "x-request-id: " + logged.requestID.lowercased())
        }
    }
}

extension ConnectionHandlingTests {
    @Test func expectContinueGetsAnInterimAnswerBeforeTheBodyIsSent() async throws {
        try await RouterHarness.run { router in
            let request = Self.chat("expected", closing: true)
            let split = request.range(of: "\r\n\r\n")!.lowerBound
            let head = String(request[..<split]) + "\r\nexpect: 100-continue\r\n\r\n"
            let body = String(request[request.range(of: "\r\n\r\n")!.upperBound...])
            let (interim, raw) = try await RawClient.run(port: router.routerPort) { client -> (String, String) in
                client.send(head)
                let interim = client.read(upTo: 64)
                client.send(body)
                return (interim, client.readUntilClosed())
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            #expect(Self.statuses(interim + raw) == [100, 200])
            #expect(raw.contains("Mock reply: expected"))
        }
    }
}

extension ConnectionHandlingTests {
    @Test func headIsAnsweredLikeGetWithoutTheBody() async throws {
        try await RouterHarness.run { router in
            let raw = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send("HEAD /health HTTP/1.1\r\nhost: x\r\n\r\nGET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                return client.readUntilClosed()
            }
            // The HEAD answer's headers, then straight away the GET's status line and body.
            #expect(Self.statuses(raw) == [200, 200], "\(raw)")
            let responses: [String] = Array(raw.components(separatedBy: "HTTP/1.1 ").dropFirst())
            let headAnswer = try #require(responses.first)
            #expect(headAnswer.lowercased().contains("content-length: "))
            #expect(headAnswer.hasSuffix("\r\n\r\n"), "a body followed the HEAD answer: \(headAnswer)")
            #expect(responses.last?.contains("{") == true)
        }
    }

    @Test func aHeadRequestIsLoggedAsHead() async throws {
        try await RouterHarness.run { router in
            let raw = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send("HEAD /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                return client.readUntilClosed()
            }
            #expect(Self.statuses(raw) == [200], "\(raw)")
            let entries = await router.log.all(atLeast: 1)
            #expect(entries.map(\.method) == ["HEAD"])
            #expect(entries.first?.path == "/v1/models")
        }
    }
}

extension ConnectionHandlingTests {
    /// A stream has no length: it goes out chunked (`HTTP1ResponseEncoding`), each chunk's size line
    /// true to its bytes, ended by the last chunk, and the connection then serves the next request.
    @Test func aStreamedAnswerIsChunkedOnTheWire() async throws {
        try await RouterHarness.run { router in
            let body = #"{"model":"echo","stream":true,"messages":[{"role":"user","content":"chunks"}]}"#
            let stream = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n" + body
            let raw = try await RawClient.run(port: router.routerPort) { client -> String in
                client.send(stream + Self.chat("after", closing: true))
                return client.readUntilClosed()
            }
            #expect(Self.statuses(raw) == [200, 200], "\(raw.prefix(400))")
            let headEnd = try #require(raw.range(of: "\r\n\r\n"))
            let head = raw[..<headEnd.lowerBound].lowercased()
            #expect(head.contains("transfer-encoding: chunked") && !head.contains("content-length"), "\(head)")
            // Decode the chunks: each size line, that many bytes, CRLF; a zero size ends the body.
            var rest = Array(raw[headEnd.upperBound...].utf8)
            var decoded: [UInt8] = []
            while true {
                let lineEnd = try #require(rest.firstIndex(of: UInt8(ascii: "\r")))
                let size = try #require(Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16))
                rest.removeFirst(lineEnd + 2)
                if size == 0 {
                    #expect(Array(rest.prefix(2)) == Array("\r\n".utf8), "no CRLF after the last chunk")
                    rest.removeFirst(2)
                    break
                }
                decoded += rest.prefix(size)
                #expect(Array(rest[size..<(size + 2)]) == Array("\r\n".utf8), "a chunk is not followed by CRLF")
                rest.removeFirst(size + 2)
            }
            let events = String(decoding: decoded, as: UTF8.self)
            #expect(events.contains("data: [DONE]"), "\(events)")
            #expect(String(decoding: rest, as: UTF8.self).hasPrefix("HTTP/1.1 200"), "the next answer follows the last chunk")
        }
    }
}
