import AsyncHTTPClient
import NIOHTTP1
import FakeUpstream
import Foundation
import Hummingbird
import Logging
import NIOCore
import RouterCore
import ServiceLifecycle
import Synchronization
@testable import RouterServer

/// Collects access-log entries in memory.
final class MemoryLogSink: AccessLogSink {
    private let entries = Mutex<[FinishedRequest]>([])
    func record(_ entry: consuming FinishedRequest) {
        let entry = entry
        entries.withLock { $0.append(entry) }
    }
    var all: [FinishedRequest] { entries.withLock { $0 } }

    /// The records once there are at least `count`: a stream's record is written as its body ends,
    /// which can be just after the client has read the last byte.
    func all(atLeast count: Int) async -> [FinishedRequest] {
        let deadline = ContinuousClock.now + .seconds(5)
        while all.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return all
    }
}

/// Starts services on 127.0.0.1:0, hands their ports to `body`, and stops them afterwards.
func withServices(
    _ makeServices: [@Sendable (@escaping @Sendable (Int) async -> Void) -> any Service],
    _ body: @Sendable ([Int]) async throws -> Void
) async throws {
    let ports = Mutex<[Int: Int]>([:])
    let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
    let services: [any Service] = makeServices.enumerated().map { index, make in
        make { port in
            ports.withLock { $0[index] = port }
            readyContinuation.yield()
        }
    }
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let group = ServiceGroup(services: services, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ready.makeAsyncIterator()
        for _ in services { await iterator.next() }
        let bound = ports.withLock { state in (0..<services.count).map { state[$0]! } }
        do {
            try await body(bound)
        } catch {
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        tasks.cancelAll()
    }
}

/// A router on 127.0.0.1:0 in front of one fake OpenAI upstream.
struct RouterHarness: Sendable {
    let routerPort: Int
    let upstreamPort: Int
    let upstream: FakeOpenAIUpstream
    let log: MemoryLogSink
    let runtime: RouterRuntime
    /// Requests the event loop answered itself (`EventLoopProxy`).
    let answeredOnEventLoop: EventLoopProxy.Counter

    var base: String { "http://127.0.0.1:\(routerPort)" }

    static func run(
        routing: RoutingState = RoutingState(),
        keyRing: ClientKeyRing? = nil,
        connectionIdleTimeout: Duration = .seconds(60),
        answersOnEventLoop: Bool = true,
        configure: @escaping @Sendable (inout Configuration, _ upstreamPort: Int) -> Void = { _, _ in },
        _ body: @Sendable (RouterHarness) async throws -> Void
    ) async throws {
        let upstream = FakeOpenAIUpstream()
        try await withServices([{ onListening in upstream.makeApplication(onListening: onListening) }]) { upstreamPorts in
            var configuration = Configuration()
            var fake = ProviderSettings(name: "fake", type: .openaiCompatible, baseURL: "http://127.0.0.1:\(upstreamPorts[0])/v1")
            fake.apiKey = .value("sk-upstream-secret-123456")
            fake.models = ["gpt-test", "slow-stream", "split-stream", "reset-stream", "fail-500", "fail-429", "fail-400", "hang"]
            fake.timeout = .seconds(5)
            var mock = ProviderSettings(name: "mock", type: .mock, baseURL: "mock://local")
            mock.models = ["echo"]
            configuration.providers = [fake, mock]
            configuration.routes = [RouteSettings(name: "default", targets: [RouteTarget(target: "mock/echo")])]
            configure(&configuration, upstreamPorts[0])
            let log = MemoryLogSink()
            var logger = Logger(label: "router")
            logger.logLevel = .critical
            let runtime = RouterRuntime(
                configuration: configuration,
                credentials: { name in .failure(CredentialProblem("secret '\(name)' is not set")) },
                transport: UpstreamTransport(),
                accessLog: log,
                keyRing: keyRing,
                logger: logger,
                routing: routing
            )
            let daemon = {
                var daemon = RouterDaemon(runtime: runtime)
                daemon.connectionIdleTimeout = connectionIdleTimeout
                daemon.answersOnEventLoop = answersOnEventLoop
                return daemon
            }()
            try await withServices([{ onListening in daemon.makeApplication(listen: .init(host: "127.0.0.1", port: 0), onListening: onListening) }]) {
                routerPorts in
                try await body(
                    RouterHarness(
                        routerPort: routerPorts[0], upstreamPort: upstreamPorts[0], upstream: upstream, log: log, runtime: runtime,
                        answeredOnEventLoop: daemon.answeredOnEventLoop)
                )
            }
            await runtime.transport.shutdown()
        }
    }

    /// POSTs JSON and returns status, headers and the whole body.
    func post(_ path: String, json: String, headers: [(String, String)] = []) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }

    func get(_ path: String) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }

    /// POSTs a streaming request and returns each body chunk with the time it arrived.
    func stream(_ path: String, json: String) async throws -> (status: Int, headers: HTTPHeaders, chunks: [(at: Duration, text: String)]) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let start = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var chunks: [(Duration, String)] = []
        for try await buffer in response.body {
            chunks.append((ContinuousClock.now - start, String(buffer: buffer)))
        }
        return (Int(response.status.code), response.headers, chunks)
    }
}

/// The `data:` payloads of an SSE body, in order.
func sseData(_ text: String) -> [String] {
    var parser = SSEParser()
    var events = parser.feed(Array(text.utf8))
    if let last = parser.finish() { events.append(last) }
    return events.map(\.data)
}

func parseJSON(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Array(text.utf8))
}
