import AsyncHTTPClient
import Foundation
import NIOCore
import RouterCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Upstream faults against the real daemon process: whatever an upstream does (refuse, reset,
/// stall, trickle, send garbage, fail in storms), every client gets a well-formed answer or
/// error, the daemon keeps answering healthy requests, and its file descriptors return to
/// where they started.
@Suite struct FaultInjectionTests {
    /// What the fault upstream does, by the model the router asks it for.
    static func script(_ model: String, _ connection: FaultConnection) {
        let event = #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"# + "\n\n"
        let finish = #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"
        switch model {
        case "reset-head":
            connection.reset()
        case "reset-stream":
            connection.writeHead(contentType: "text/event-stream")
            connection.write(event)
            connection.pause(milliseconds: 20)
            connection.reset()
        case "slow-head":
            connection.pause(milliseconds: 3500)  // Beyond the provider's 2 s timeout.
            connection.writeHead(contentType: "application/json", contentLength: 2)
            connection.write("{}")
        case "trickle-within":
            connection.writeHead(contentType: "text/event-stream")
            for _ in 0..<5 {
                guard connection.write(event) else { return }
                connection.pause(milliseconds: 40)
            }
            connection.write(finish + "data: [DONE]\n\n")
        case "trickle-over":
            // Never finishes: the request's 3 s request_timeout must cut it.
            connection.writeHead(contentType: "text/event-stream")
            while connection.write(event) { connection.pause(milliseconds: 100) }
        case "trickle-json":
            // A non-streamed body that dribbles in slower than the request's 3 s allow.
            connection.writeHead(contentType: "application/json", contentLength: 1000)
            while connection.write("{") { connection.pause(milliseconds: 100) }
        case "bad-json":
            let body = #"{"id": "chatcmpl-1", "choices": [ {"message": tru"#
            connection.writeHead(contentType: "application/json", contentLength: body.utf8.count)
            connection.write(body)
        case "garbage-sse":
            connection.writeHead(contentType: "text/event-stream")
            connection.write([0xFF, 0xFE, 0x00, 0x0A, 0x0A])
            connection.write("data: {broken json\n\nfield-without-colon\n: comment\n\nevent: x\ndata: \u{1F600}\r\n\r\n")
            connection.write([0x64, 0x61, 0x74, 0x61, 0x3A, 0x20, 0xC3, 0x28, 0x0A, 0x0A])  // "data: " + invalid UTF-8
            connection.write(finish + "data: [DONE]\n\n")
        case "endless-line":
            connection.writeHead(contentType: "text/event-stream")
            let chunk = "data: " + String(repeating: "a", count: 64 * 1024)
            for _ in 0..<64 { guard connection.write(chunk) else { return } }  // 4 MiB without a line end
        case "not-http":
            connection.write("SSH-2.0-OpenSSH_9.6\r\n\r\n\u{0}\u{1}\u{2}")
        case "storm-500":
            let body = #"{"error":{"message":"overloaded","type":"server_error"}}"#
            connection.writeHead(status: 500, contentType: "application/json", contentLength: body.utf8.count)
            connection.write(body)
        default:
            connection.closeIfOpen()
        }
    }

    @Test func theDaemonSurvivesEveryUpstreamFaultWithoutLeaking() async throws {
        let upstream = try FaultUpstream(script: Self.script)
        defer { upstream.stop() }
        let refused = try FaultUpstream.refusingPort()
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let models = "[reset-head, reset-stream, slow-head, trickle-within, trickle-over, trickle-json, bad-json, garbage-sse, endless-line, not-http]"
        try home.write(
            config: """
                version: 1
                server:
                  listen: 127.0.0.1:3625
                  request_timeout: 3s
                providers:
                  mock:
                    type: mock
                    models: [echo]
                  faulty:
                    type: openai-compatible
                    base_url: http://127.0.0.1:\(upstream.port)/v1
                    timeout: 2s
                    models: \(models)
                  stormy:
                    type: openai-compatible
                    base_url: http://127.0.0.1:\(upstream.port)/v1
                    models: [storm-500]
                  refused:
                    type: openai-compatible
                    base_url: http://127.0.0.1:\(refused)/v1
                    models: [anything]
                routes:
                  default:
                    targets: [mock/echo]
                  slow-then-mock:
                    targets: [faulty/slow-head, mock/echo]
                  refused-then-mock:
                    targets: [refused/anything, mock/echo]
                """)
        let daemon = try await DaemonProcess(home: home)
        let client = FaultClient(base: daemon.base)
        defer { client.shutdown() }

        // Warm up (access log opened, pools created) before the baseline is taken.
        #expect(try await client.send(model: "default").status == 200)
        let baseline = try Self.openDescriptors(daemon.processID)

        struct Case: Sendable {
            var model: String
            var stream: Bool
            var path = "/v1/chat/completions"
            var statuses: Set<Int>
        }
        let cases: [Case] = [
            Case(model: "refused/anything", stream: false, statuses: [502]),
            Case(model: "refused-then-mock", stream: false, statuses: [200]),
            Case(model: "faulty/reset-head", stream: false, statuses: [502]),
            Case(model: "faulty/reset-head", stream: true, statuses: [502]),
            Case(model: "faulty/reset-stream", stream: true, statuses: [200]),
            Case(model: "faulty/reset-stream", stream: true, path: "/v1/messages", statuses: [200]),
            Case(model: "faulty/slow-head", stream: false, statuses: [504]),
            Case(model: "slow-then-mock", stream: false, statuses: [200]),
            Case(model: "faulty/trickle-within", stream: true, statuses: [200]),
            Case(model: "faulty/trickle-over", stream: true, statuses: [200]),
            Case(model: "faulty/trickle-over", stream: true, path: "/v1/messages", statuses: [200]),
            Case(model: "faulty/trickle-json", stream: false, statuses: [504]),
            Case(model: "faulty/bad-json", stream: false, statuses: [502]),
            Case(model: "faulty/bad-json", stream: false, path: "/v1/messages", statuses: [502]),
            Case(model: "faulty/garbage-sse", stream: true, statuses: [200]),
            Case(model: "faulty/garbage-sse", stream: true, path: "/v1/messages", statuses: [200]),
            Case(model: "faulty/endless-line", stream: true, statuses: [200]),
            Case(model: "faulty/not-http", stream: false, statuses: [502]),
        ]
        // Every fault several times at once, a 5xx storm, and healthy requests all along.
        let problems = await withTaskGroup(of: String?.self) { group -> [String] in
            for item in cases {
                for _ in 0..<3 {
                    group.addTask {
                        do {
                            let answer = try await client.send(model: item.model, stream: item.stream, path: item.path)
                            guard item.statuses.contains(answer.status) else {
                                return "\(item.model) \(item.path) stream=\(item.stream): status \(answer.status) \(answer.body.prefix(300))"
                            }
                            return answer.wellFormedProblem(stream: item.stream).map { "\(item.model) \(item.path): \($0)" }
                        } catch {
                            return "\(item.model) \(item.path) stream=\(item.stream): \(error)"
                        }
                    }
                }
            }
            for index in 0..<60 {
                group.addTask {
                    let model = index % 4 == 0 ? "default" : "stormy/storm-500"
                    do {
                        let answer = try await client.send(model: model, stream: index % 3 == 0)
                        if model == "default", answer.status != 200 { return "healthy request during the storm: \(answer.status)" }
                        if model != "default", ![502, 503].contains(answer.status) { return "storm: status \(answer.status)" }
                        return answer.wellFormedProblem(stream: index % 3 == 0 && answer.status == 200)
                    } catch {
                        return "\(model): \(error)"
                    }
                }
            }
            var problems: [String] = []
            for await problem in group { if let problem { problems.append(problem) } }
            return problems
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(daemon.process.isRunning)
        #expect(try await client.send(model: "default").status == 200)

        // The client's own connections go first; then every descriptor the faults touched must close.
        client.shutdown()
        let settled = try await Self.waitForDescriptors(daemon.processID, atMost: baseline, within: .seconds(8))
        #expect(settled <= baseline, "daemon descriptors: \(baseline) before, \(settled) after")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    static func openDescriptors(_ processID: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(processID)/fd").count
    }

    /// Polls the count (connections close asynchronously) until it drops to `atMost` or time runs out.
    static func waitForDescriptors(_ processID: Int32, atMost limit: Int, within timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var count = try openDescriptors(processID)
        while count > limit, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            count = try openDescriptors(processID)
        }
        return count
    }
}

/// A client of its own (not `HTTPClient.shared`), so its pooled connections can be closed
/// before the daemon's descriptors are counted.
final class FaultClient: Sendable {
    let base: String
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)
    private let closed = Atomic<Bool>(false)

    init(base: String) {
        self.base = base
    }

    struct Answer {
        var status: Int
        var contentType: String
        var body: String

        /// Nil when the answer is well-formed: a JSON object (an `error` object when status ≥ 400),
        /// or an SSE stream whose every event is framed and whose last event ends it or reports an error.
        func wellFormedProblem(stream: Bool) -> String? {
            if stream, status == 200 {
                guard contentType.hasPrefix("text/event-stream") else { return "stream answered as \(contentType)" }
                var parser = SSEParser()
                var events = parser.feed(Array(body.utf8))
                if let last = parser.finish() { events.append(last) }
                guard body.hasSuffix("\n\n"), let last = events.last else { return "unterminated stream: \(body.suffix(200))" }
                let ends = last.data == "[DONE]" || last.event == "message_stop" || last.event == "error" || last.data.contains("\"error\"")
                return ends ? nil : "stream ended without [DONE], message_stop or an error: \(body.suffix(300))"
            }
            guard let json = try? JSONValue.parse(Array(body.utf8)), case .object = json else { return "not a JSON object: \(body.prefix(300))" }
            if status >= 400, json["error"]?["message"]?.stringValue == nil { return "error without error.message: \(body.prefix(300))" }
            return nil
        }
    }

    func send(model: String, stream: Bool = false, path: String = "/v1/chat/completions") async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let key = ClientKeys.key(for: base) {
            request.headers.add(name: "authorization", value: "Bearer \(key)")
            request.headers.add(name: "x-api-key", value: key)
        }
        request.body = .bytes(
            ByteBuffer(string: #"{"model":"\#(model)","stream":\#(stream),"max_tokens":16,"messages":[{"role":"user","content":"ping"}]}"#))
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: Int(response.status.code), contentType: response.headers.first(name: "content-type") ?? "", body: String(buffer: body))
    }

    func shutdown() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try? client.syncShutdown()
    }
}
