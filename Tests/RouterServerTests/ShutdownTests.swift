import AsyncHTTPClient
import FakeUpstream
import Foundation
import NIOCore
import RouterCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A streamed chat request whose chunks are recorded as they arrive.
final class StreamRecorder: Sendable {
    private let state = Mutex<(text: String, finished: Bool, error: String?)>(("", false, nil))

    var text: String { state.withLock { $0.text } }
    var finished: Bool { state.withLock { $0.finished } }
    var error: String? { state.withLock { $0.error } }

    func run(base: String, model: String) async {
        var request = HTTPClientRequest(url: base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let key = ClientKeys.key(for: base) { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: #"{"model":"\#(model)","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            for try await buffer in response.body {
                state.withLock { $0.text += String(buffer: buffer) }
            }
        } catch {
            state.withLock { $0.error = "\(error)" }
        }
        state.withLock { $0.finished = true }
    }

    func waitFor(_ text: String, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !self.text.contains(text) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return self.text.contains(text)
    }
}

/// Whether a TCP connection to 127.0.0.1:`port` is accepted right now.
func acceptsConnections(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return result == 0
}

@Suite("graceful shutdown")
struct ShutdownTests {
    /// The daemon in front of a fake OpenAI upstream whose `slow-stream` model takes ~0.9 s.
    static func withDaemonAndSlowUpstream(
        shutdownGrace: String = "10s",
        _ body: @Sendable (DaemonProcess, TemporaryHome) async throws -> Void
    ) async throws {
        let upstream = FakeOpenAIUpstream()
        try await withServices([{ onListening in upstream.makeApplication(onListening: onListening) }]) { ports in
            let home = try TemporaryHome()
            defer { home.cleanUp() }
            try home.write(
                config: mockConfig(
                    shutdownGrace: shutdownGrace,
                    providers: """
                          fake:
                            type: openai-compatible
                            base_url: http://127.0.0.1:\(ports[0])/v1
                            models: [slow-stream]
                        """))
            let daemon = try await DaemonProcess(home: home)
            try await body(daemon, home)
        }
    }

    @Test("SIGTERM mid-stream: new connections are refused, the stream completes, its log line is written, exit 0")
    func drainsStream() async throws {
        try await Self.withDaemonAndSlowUpstream { daemon, home in
            let stream = StreamRecorder()
            async let streamDone: Void = stream.run(base: daemon.base, model: "fake/slow-stream")
            #expect(await stream.waitFor("\"Hello\""))

            daemon.signal(SIGTERM)
            // The listening socket closes at once, while the stream is still running.
            let signalled = ContinuousClock.now
            while acceptsConnections(port: daemon.port), ContinuousClock.now - signalled < .seconds(1) {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(!acceptsConnections(port: daemon.port), "still accepting connections during the drain")
            #expect(!stream.finished, "the stream should still be running when the listener closes")

            await streamDone
            #expect(stream.error == nil)
            #expect(stream.text.contains("\" there\"") && stream.text.contains("\"!\"") && stream.text.contains("data: [DONE]"))
            #expect(await daemon.waitForExit() == 0)
            #expect(daemon.output.contains("SIGTERM: no longer accepting connections"))

            // The access log was flushed before exit.
            let logs = try FileManager.default.contentsOfDirectory(atPath: home.logDirectory).filter { $0.hasSuffix(".jsonl") }
            let lines = try logs.flatMap { try String(contentsOfFile: home.logDirectory + "/" + $0, encoding: .utf8).split(separator: "\n") }
            let line = try #require(lines.first { $0.contains("\"model\":\"fake/slow-stream\"") })
            #expect(line.contains("\"status\":200") && line.contains("\"stream\":true"))
        }
    }

    @Test("a second SIGTERM exits at once, without waiting for the stream")
    func secondSignalExits() async throws {
        try await Self.withDaemonAndSlowUpstream { daemon, _ in
            let stream = StreamRecorder()
            async let streamDone: Void = stream.run(base: daemon.base, model: "fake/slow-stream")
            #expect(await stream.waitFor("\"Hello\""))
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForLog("no longer accepting connections"))
            let second = ContinuousClock.now
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(2))
            let took = ContinuousClock.now - second
            #expect(status == 128 + SIGTERM)
            #expect(took < .milliseconds(400), "took \(took)")
            await streamDone
            #expect(!stream.text.contains("data: [DONE]"), "the stream was cut, not completed")
        }
    }

    @Test("when shutdown_grace runs out, what is still running is cut off and the exit is still clean")
    func graceRunsOut() async throws {
        try await Self.withDaemonAndSlowUpstream(shutdownGrace: "200ms") { daemon, _ in
            let stream = StreamRecorder()
            async let streamDone: Void = stream.run(base: daemon.base, model: "fake/slow-stream")
            #expect(await stream.waitFor("\"Hello\""))
            let signalled = ContinuousClock.now
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(5))
            let took = ContinuousClock.now - signalled
            #expect(status == 0)
            #expect(took >= .milliseconds(200) && took < .milliseconds(700), "took \(took)")
            await streamDone
            #expect(!stream.text.contains("data: [DONE]"))
            #expect(daemon.output.contains("shutdown grace of"))
        }
    }
}
