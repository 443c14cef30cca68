import FakeUpstream
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import HTTPTypes
import Hummingbird
import Logging
import RouterCore
@testable import RouterServer

/// Test-only stand-in for the auth middleware: the identity named by `x-test-key`.
struct TestIdentityMiddleware: RouterMiddleware {
    typealias Context = RouterRequestContext
    let identities: [String: ClientIdentity]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let name = request.headers[HTTPField.Name("x-test-key")!], let identity = identities[name] else {
            return try await next(request, context)
        }
        var context = context
        context.identity = identity
        context.trace.update { $0.keyName = identity.keyName }
        return try await next(request, context)
    }
}

/// A router in front of the fake upstream, with identities set per request by `x-test-key` and
/// the limits state (`accounting`) supplied by the test, so one can outlive a "restart".
struct LimitsHarness: Sendable {
    let base: String
    let runtime: RouterRuntime
    let log: MemoryLogSink

    static func run(
        identities: [ClientIdentity],
        accounting: RequestAccounting = RequestAccounting(),
        configure: @escaping @Sendable (inout Configuration) -> Void = { _ in },
        _ body: @Sendable (LimitsHarness) async throws -> Void
    ) async throws {
        let upstream = FakeOpenAIUpstream()
        try await withServices([{ onListening in upstream.makeApplication(onListening: onListening) }]) { upstreamPorts in
            var configuration = Configuration()
            var fake = ProviderSettings(name: "fake", type: .openaiCompatible, baseURL: "http://127.0.0.1:\(upstreamPorts[0])/v1")
            fake.models = ["gpt-test", "slow-stream", "fail-500"]
            fake.timeout = .seconds(5)
            var mock = ProviderSettings(name: "mock", type: .mock, baseURL: "mock://local")
            mock.models = ["echo"]
            configuration.providers = [fake, mock]
            configuration.routes = [RouteSettings(name: "default", targets: [RouteTarget(target: "fake/gpt-test")])]
            configure(&configuration)
            let log = MemoryLogSink()
            let logger = { var logger = Logger(label: "router"); logger.logLevel = .critical; return logger }()
            let runtime = RouterRuntime(
                configuration: configuration, credentials: { _ in .failure(CredentialProblem("none")) },
                transport: UpstreamTransport(), accessLog: log, logger: logger, accounting: accounting)
            let byName = Dictionary(uniqueKeysWithValues: identities.map { ($0.keyName, $0) })
            try await withServices([{ onListening in
                let router = RouteTable()
                router.add(middleware: RequestMiddleware(runtime: runtime))
                router.add(middleware: TestIdentityMiddleware(identities: byName))
                SystemController(runtime: runtime).register(on: router)
                ProxyController(runtime: runtime).register(on: router)
                return RouterDaemon.server(
                    for: router, listen: .init(host: "127.0.0.1", port: 0), idleTimeout: .seconds(60),
                    maxBodyBytes: { runtime.snapshot.configuration.server.maxBody }, logger: logger, onListening: onListening)
            }]) { routerPorts in
                try await body(LimitsHarness(base: "http://127.0.0.1:\(routerPorts[0])", runtime: runtime, log: log))
            }
            await runtime.transport.shutdown()
        }
    }

    func post(_ path: String, key: String?, json: String) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let key { request.headers.add(name: "x-test-key", value: key) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }
}

/// A fresh empty directory under the system temp dir.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "lr-limits-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
