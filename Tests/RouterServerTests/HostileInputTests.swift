import Foundation
import RouterCore
import Testing

@testable import RouterServer

/// Hostile clients: each is answered with the right 4xx or has its connection closed, nothing
/// is held forever, and the router goes on serving everyone else.
@Suite struct HostileInputTests {
    static let smallBody = 64 * 1024

    static func request(_ body: String, contentType: String = "application/json", extraHeaders: String = "") -> String {
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: \(contentType)\r\ncontent-length: \(body.utf8.count)\r\n"
            + extraHeaders + "connection: close\r\n\r\n" + body
    }

    static func statusLine(_ response: String) -> Int? {
        guard response.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(response.dropFirst(9).prefix(3))
    }

    @Test func malformedRequestsGetTheRight4xx() async throws {
        try await RouterHarness.run(configure: { configuration, _ in configuration.server.maxBody = Self.smallBody }) { router in
            let port = router.routerPort
            func status(of raw: [UInt8]) async throws -> (Int?, String) {
                let response = try await RawClient.run(port: port) { client in
                    client.send(raw)
                    return client.readUntilClosed()
                }
                return (Self.statusLine(response), response)
            }
            // Invalid UTF-8 inside a JSON string.
            var invalid = Array(#"{"model":"echo","messages":[{"role":"user","content":"a"#.utf8) + [0xC3, 0x28]
            invalid += Array(#""}]}"#.utf8)
            let invalidHead = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(invalid.count)\r\nconnection: close\r\n\r\n"
            let (utf8Status, utf8Body) = try await status(of: Array(invalidHead.utf8) + invalid)
            #expect(utf8Status == 400, "\(utf8Body)")
            #expect(utf8Body.contains("invalid_json"))

            // Nesting far past the parser's depth bound: a clean 400, not a stack overflow.
            let deep = String(repeating: "[", count: 60_000)
            #expect(try await status(of: Array(Self.request(deep).utf8)).0 == 400)
            let deepObject = #"{"model":"echo","messages":"# + String(repeating: #"{"a":"#, count: 5_000)
            #expect(try await status(of: Array(Self.request(deepObject).utf8)).0 == 400)

            // Not JSON at all, whatever the content type says.
            #expect(try await status(of: Array(Self.request("model=echo&x=1", contentType: "application/x-www-form-urlencoded").utf8)).0 == 400)
            #expect(try await status(of: Array(Self.request("hello", contentType: "text/plain").utf8)).0 == 400)
            #expect(try await status(of: Array(Self.request(#"["model","echo"]"#).utf8)).0 == 400)
            #expect(try await status(of: Array(Self.request("").utf8)).0 == 400)

            // A body over max_body: declared, and chunked without a length.
            let big = #"{"model":"echo","pad":""# + String(repeating: "x", count: Self.smallBody) + #""}"#
            #expect(try await status(of: Array(Self.request(big).utf8)).0 == 413)
            let chunk = String(repeating: "y", count: 16 * 1024)
            var chunked = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            for _ in 0..<8 { chunked += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n" }
            chunked += "0\r\n\r\n"
            let (chunkedStatus, chunkedResponse) = try await status(of: Array(chunked.utf8))
            #expect(chunkedStatus == 413, "\(chunkedResponse.prefix(300))")

            // Oversized headers: one huge field, and thousands of small ones. Refused or closed, never served.
            let (hugeStatus, hugeResponse) = try await status(
                of: Array(Self.request("{}", extraHeaders: "x-huge: " + String(repeating: "h", count: 200 * 1024) + "\r\n").utf8))
            #expect(hugeStatus == nil || (400..<500).contains(hugeStatus!), "\(hugeResponse.prefix(200))")
            let many = (0..<3_000).map { "x-h\($0): v\r\n" }.joined()
            let (manyStatus, manyResponse) = try await status(of: Array(Self.request("{}", extraHeaders: many).utf8))
            #expect(manyStatus == 431, "\(manyResponse.prefix(200))")  // all read (under 80 KiB), so always answered

            // Garbage instead of HTTP.
            let (garbageStatus, _) = try await status(of: [0x16, 0x03, 0x01, 0x00, 0xFF, 0x00, 0x0D, 0x0A, 0x0D, 0x0A])
            #expect(garbageStatus == nil || (400..<500).contains(garbageStatus!))

            // And after all that, an ordinary request still works.
            let ok = try await router.post("/v1/chat/completions", json: #"{"model":"echo","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(ok.status == 200)
        }
    }

    @Test func slowlorisConnectionsAreClosedButSlowStreamsAreNot() async throws {
        try await RouterHarness.run(connectionIdleTimeout: .milliseconds(300)) { router in
            let port = router.routerPort
            // Headers dripped a byte at a time never complete a part: the idle timeout ends the connection.
            let dripClosed = try await RawClient.run(port: port) { client -> Bool in
                for byte in Array("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-pad: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 200) {
                    if !client.send([byte]) || client.peerClosed { return true }
                    client.pause(milliseconds: 20)
                }
                return false
            }
            #expect(dripClosed, "a client dripping its headers kept its connection for over 4 s")

            // A head with a body that never comes, and a connection that never says anything.
            let stalledBody = try await RawClient.run(port: port) { client -> String in
                client.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
                return client.readUntilClosed()
            }
            #expect(!stalledBody.contains(" 200 "))
            let start = ContinuousClock.now
            let silent = try await RawClient.run(port: port) { client in client.readUntilClosed() }
            #expect(silent.isEmpty)
            #expect(ContinuousClock.now - start < .seconds(3), "a silent connection was held past the idle timeout")

            // A body dripped a byte per 100 ms, each part inside the idle timeout: the body's own
            // deadline (the idle timeout again, counted from the request's start) answers 408 and
            // reads no more of the connection.
            let dripStart = ContinuousClock.now
            let drippedBody = try await RawClient.run(port: port) { client -> String in
                client.send("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
                for _ in 0..<60 {
                    client.pause(milliseconds: 100)
                    if !client.send(" ") || client.peerClosed { break }
                }
                return client.readUntilClosed()
            }
            #expect(drippedBody.hasPrefix("HTTP/1.1 408 "), "\(drippedBody.prefix(200))")
            #expect(drippedBody.contains("request_body_timeout"))
            #expect(ContinuousClock.now - dripStart < .seconds(3), "a client dripping its body kept its connection for 3 s")

            // A stream that outlasts the idle timeout (900 ms of pauses) is a response in progress, not idleness.
            let stream = try await router.stream(
                "/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(stream.status == 200)
            #expect(sseData(stream.chunks.map(\.text).joined()).last == "[DONE]")
        }
    }
}
