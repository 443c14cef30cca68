import NIOCore
import NIOHTTP1
import NIOPosix
import RouterServer
import Synchronization
import Testing

@Suite("The plain-HTTP upstream client: keep-alive, stale connections, faults, back-pressure")
struct PlainHTTPClientTests {
    @Test func urlsSplitIntoHostPortAndTarget() throws {
        let full = try #require(PlainHTTPURL("http://127.0.0.1:8080/v1/chat/completions?x=1#frag"))
        #expect(full == PlainHTTPURL(fromParts: "127.0.0.1", 8080, "127.0.0.1:8080", "/v1/chat/completions?x=1"))
        #expect(PlainHTTPURL("HTTP://Example.com") == PlainHTTPURL(fromParts: "Example.com", 80, "Example.com", "/"))
        #expect(PlainHTTPURL("http://[::1]:11434/api/tags") == PlainHTTPURL(fromParts: "::1", 11434, "[::1]:11434", "/api/tags"))
        #expect(PlainHTTPURL("http://localhost?q") == PlainHTTPURL(fromParts: "localhost", 80, "localhost", "/?q"))
        for refused in [
            "https://api.openai.com/v1", "http://user:pass@host/", "http://", "http:///path", "http://host:0/", "http://host:99999/",
            "http://host:/", "http://ho st/", "http://[::1/", "http://[::1]x/", "ftp://host/", "http://host/a b",
        ] {
            #expect(PlainHTTPURL(refused) == nil, "\(refused)")
        }
    }

    @Test func sequentialRequestsShareOneConnectionAndSendAProperHead() async throws {
        let heads = Mutex<[String]>([])
        let upstream = try FaultUpstream(keepAlive: { model, index, connection in
            heads.withLock { $0.append(connection.lastHead) }
            let body = #"{"n":\#(index),"model":"\#(model)"}"#
            return connection.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        for index in 0..<5 {
            let response = try await client.post(upstream, model: "m\(index)")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let text = String(buffer: try await response.collectBody(limit: 1 << 20))
            #expect(text == #"{"n":\#(index),"model":"m\#(index)"}"#)
        }
        #expect(upstream.acceptedConnections == 1)
        let head = try #require(heads.withLock { $0.first })
        #expect(head.hasPrefix("post /v1/chat/completions http/1.1\r\n"))
        #expect(head.contains("\r\nhost: 127.0.0.1:\(upstream.port)"))
        #expect(head.contains("\r\ncontent-length: "))
        #expect(head.contains("\r\nauthorization: bearer secret"))
        await client.shutdown()
    }

    @Test func aPooledConnectionTheUpstreamDroppedIsRetriedOnAFreshOne() async throws {
        // Each connection answers its first request, then reads the next and closes without a
        // word: what an upstream's keep-alive timeout looks like from our side.
        let upstream = try FaultUpstream(keepAlive: { _, index, connection in
            guard index == 0 else { return false }
            return connection.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        for _ in 0..<3 {
            let response = try await client.post(upstream)
            #expect(String(buffer: try await response.collectBody(limit: 100)) == "ok")
        }
        #expect(upstream.acceptedConnections == 3)
        await client.shutdown()
    }

    @Test func connectionCloseAndReadUntilCloseBodies() async throws {
        let upstream = try FaultUpstream(keepAlive: { model, _, connection in
            switch model {
            case "until-close":
                connection.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of ")
                connection.pause(milliseconds: 20)
                connection.write("it")
                return false
            case "chunked":
                connection.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n")
                connection.pause(milliseconds: 20)
                connection.write("4\r\n two\r\n0\r\n\r\n")
                return true
            default:
                connection.write("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nclose")
                return true  // The client must not send another request here.
            }
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        #expect(String(buffer: try await client.post(upstream, model: "until-close").collectBody(limit: 100)) == "all of it")
        #expect(String(buffer: try await client.post(upstream, model: "close").collectBody(limit: 100)) == "close")
        #expect(String(buffer: try await client.post(upstream, model: "chunked").collectBody(limit: 100)) == "one two")
        #expect(String(buffer: try await client.post(upstream, model: "chunked").collectBody(limit: 100)) == "one two")
        #expect(upstream.acceptedConnections == 3)
        await client.shutdown()
    }

    @Test func faultsBecomeClassifiedErrors() async throws {
        let upstream = try FaultUpstream(keepAlive: { model, _, connection in
            switch model {
            case "hang": connection.pause(milliseconds: 1500)
            case "garbage": connection.write("SSH-2.0-OpenSSH_9.2\r\n\r\n")
            case "reset-mid-body":
                connection.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
                connection.pause(milliseconds: 20)
                connection.reset()
            default: connection.reset()
            }
            return false
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)

        let started = ContinuousClock.now
        await #expect(throws: UpstreamError.self) { try await client.post(upstream, model: "hang", timeout: .milliseconds(200)) }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(await Self.failure { try await client.post(upstream, model: "hang", timeout: .milliseconds(100)) } == .timeout)
        #expect(await Self.failure { try await client.post(upstream, model: "garbage") } == .invalidResponse)
        #expect(await Self.failure { try await client.post(upstream, model: "reset") } == .connectionClosed)
        let refused = try FaultUpstream.refusingPort()
        #expect(await Self.failure { try await client.send(method: .POST, url: PlainHTTPURL("http://127.0.0.1:\(refused)/v1")!, headers: [], body: nil, timeout: .seconds(2)) } == .connect)

        let broken = try await client.post(upstream, model: "reset-mid-body")
        #expect(broken.status == 200)
        await #expect(throws: UpstreamError.self) { _ = try await broken.collectBody(limit: 1000) }
        await client.shutdown()
    }

    @Test func aBodyLeftUnreadClosesItsConnectionInsteadOfPoolingIt() async throws {
        let stopped = Mutex(false)
        let upstream = try FaultUpstream(keepAlive: { model, _, connection in
            if model == "endless" {
                connection.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                while connection.write("5\r\nchunk\r\n") { connection.pause(milliseconds: 5) }
                stopped.withLock { $0 = true }
                return false
            }
            return connection.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        do {
            let response = try await client.post(upstream, model: "endless")
            var iterator = response.body.makeAsyncIterator()
            #expect(String(buffer: try #require(try await iterator.next())).hasPrefix("chunk"))
        }
        // The reader gave up: the upstream sees its connection closed, and the next request
        // gets a connection of its own.
        let deadline = ContinuousClock.now + .seconds(5)
        while !stopped.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(stopped.withLock { $0 })
        #expect(String(buffer: try await client.post(upstream).collectBody(limit: 100)) == "ok")
        #expect(upstream.acceptedConnections == 2)
        await client.shutdown()
    }

    @Test func aSlowReaderHoldsTheUpstreamBack() async throws {
        let total = 64 << 20
        let written = Mutex(0)
        let upstream = try FaultUpstream(keepAlive: { _, _, connection in
            connection.write("HTTP/1.1 200 OK\r\ncontent-length: \(total)\r\n\r\n")
            let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            for _ in 0..<(total / piece.count) {
                guard connection.write(piece) else { return false }
                written.withLock { $0 += piece.count }
            }
            return false
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        let response = try await client.post(upstream)
        var iterator = response.body.makeAsyncIterator()
        var received = try #require(try await iterator.next()).readableBytes
        // Without back-pressure the whole 64 MiB would be read into memory in this pause.
        try await Task.sleep(for: .milliseconds(300))
        let writtenWhilePaused = written.withLock { $0 }
        #expect(writtenWhilePaused < 40 << 20, "the upstream wrote \(writtenWhilePaused) bytes while nobody read")
        while let chunk = try await iterator.next() { received += chunk.readableBytes }
        #expect(received == total)
        await client.shutdown()
    }

    @Test func aBodyPastTheRequestDeadlineEndsWithATimeoutWithoutAReaderTask() async throws {
        let upstream = try FaultUpstream(keepAlive: { model, _, connection in
            if model == "trickle" {
                connection.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                while connection.write("1\r\nx\r\n") { connection.pause(milliseconds: 50) }
                return false
            }
            return connection.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        let started = ContinuousClock.now
        let response = try await client.post(upstream, model: "trickle")
        let chunks = try await withUpstreamChunks(of: response.body, deadline: started + .milliseconds(300)) { chunks in
            var seen: [UpstreamChunk] = []
            for await chunk in chunks { seen.append(chunk) }
            return seen
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        guard case .failed(let error) = chunks.last else {
            Issue.record("the body did not end in a failure: \(chunks.count) chunks")
            return
        }
        #expect(error.kind == .timeout)
        #expect(chunks.dropLast().allSatisfy { if case .data = $0 { true } else { false } })
        // The timed-out connection was closed, not pooled.
        #expect(String(buffer: try await client.post(upstream).collectBody(limit: 100)) == "ok")
        #expect(upstream.acceptedConnections == 2)
        await client.shutdown()
    }

    @Test func aHeaderThatWouldSplitTheRequestIsRefusedBeforeAnythingIsSent() async throws {
        let upstream = try FaultUpstream(keepAlive: { _, _, connection in
            connection.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        })
        defer { upstream.stop() }
        let client = PlainHTTPClient(group: Self.oneLoop)
        let url = PlainHTTPURL("http://127.0.0.1:\(upstream.port)/v1")!
        for headers in [[("x-api-key", "sk-secret\r\nx-evil: 1")], [("bad name", "v")], [("x", "nul\u{0}")], [("", "v")]] {
            let error = await #expect(throws: UpstreamError.self) {
                try await client.send(method: .POST, url: url, headers: headers, body: nil, timeout: .seconds(2))
            }
            #expect(error?.kind == .configuration)
            #expect(error?.message.contains("sk-secret") == false)
        }
        #expect(upstream.acceptedConnections == 0)
        // Tabs and UTF-8 are fine in a value.
        let fine = try await client.send(method: .POST, url: url, headers: [("x-title", "Local\tRouter ✓")], body: nil, timeout: .seconds(2))
        #expect(fine.status == 200)
        await client.shutdown()
    }

    /// One loop, so one pool: the connection counts are exact (the daemon keeps a pool per loop).
    private static let oneLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private static func failure(_ body: () async throws -> UpstreamResponse) async -> UpstreamError.Kind? {
        do {
            _ = try await body()
            return nil
        } catch let error as UpstreamError {
            return error.kind
        } catch {
            return nil
        }
    }
}

extension PlainHTTPClient {
    fileprivate func post(_ upstream: FaultUpstream, model: String = "m", timeout: TimeAmount = .seconds(5)) async throws -> UpstreamResponse {
        let url = PlainHTTPURL("http://127.0.0.1:\(upstream.port)/v1/chat/completions")!
        let body = ByteBuffer(string: #"{"model":"\#(model)"}"#)
        return try await send(
            method: .POST, url: url, headers: [("content-type", "application/json"), ("authorization", "Bearer secret")], body: body,
            timeout: timeout)
    }
}

extension PlainHTTPURL {
    fileprivate init(fromParts host: String, _ port: Int, _ hostHeader: String, _ target: String) {
        self = PlainHTTPURL("http://x/")!
        self.host = host
        self.port = port
        self.hostHeader = hostHeader
        self.target = target
    }
}
