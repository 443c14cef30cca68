import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RouterCore
import Testing
@testable import RouterServer

@Suite("Active health checks, /health/providers and /status")
struct RoutingHealthTests {
    static let upstreamKey = "sk-upstream-secret-123456"

    /// The fake upstream's providers plus a dead one, all behind one route.
    static func providers(_ configuration: inout Configuration, _ port: Int) {
        var dead = ProviderSettings(name: "dead", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
        dead.models = ["gpt-test"]
        configuration.providers.append(dead)
        configuration.routes.append(
            RouteSettings(name: "smart", targets: [RouteTarget(target: "dead/gpt-test"), RouteTarget(target: "fake/gpt-test")]))
        configuration.health.failureThreshold = 2
    }

    private func provider(_ report: JSONValue, _ name: String) -> JSONValue? {
        report["providers"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    private func target(_ report: JSONValue, _ provider: String, _ name: String) -> JSONValue? {
        self.provider(report, provider)?["targets"]?.arrayValue?.first { $0["target"]?.stringValue == name }
    }

    @Test func checksOpenTheCircuitOfADeadProviderWithoutAnyTraffic() async throws {
        try await RouterHarness.run(configure: Self.providers) { harness in
            let checker = HealthCheckService(runtime: harness.runtime)
            await checker.checkAll()
            var report = try parseJSON(try await harness.get("/health/providers").body)
            #expect(provider(report, "dead")?["health"]?.stringValue == "unhealthy")
            #expect(target(report, "dead", "dead/gpt-test")?["circuit"]?.stringValue == "closed")
            await checker.checkAll()
            report = try parseJSON(try await harness.get("/health/providers").body)
            #expect(target(report, "dead", "dead/gpt-test")?["circuit"]?.stringValue == "open")
            #expect(provider(report, "dead")?["last_error"]?.stringValue?.contains("connection") == true)
            #expect(provider(report, "fake")?["health"]?.stringValue == "healthy")
            #expect(provider(report, "fake")?["last_check_latency_ms"]?.doubleValue != nil)
            #expect(provider(report, "mock")?["health"]?.stringValue == "healthy")
            #expect(target(report, "fake", "fake/gpt-test")?["circuit"]?.stringValue == "closed")
            #expect(harness.upstream.requests.isEmpty)
            #expect(harness.upstream.modelListings.count == 2)

            // The first request goes straight to the live target.
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"smart","messages":[]}"#)
            #expect(response.headers.first(name: "x-localrouter-attempts") == "1")
            #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
        }
    }

    @Test func theServiceChecksOnItsOwnEveryInterval() async throws {
        try await RouterHarness.run(configure: { configuration, port in
            Self.providers(&configuration, port)
            configuration.health.interval = .milliseconds(50)
        }) { harness in
            let service = Task { await HealthCheckService(runtime: harness.runtime).run() }
            defer { service.cancel() }
            let deadline = ContinuousClock.now + .seconds(5)
            var circuit: String?
            while ContinuousClock.now < deadline {
                let report = try parseJSON(try await harness.get("/health/providers").body)
                circuit = target(report, "dead", "dead/gpt-test")?["circuit"]?.stringValue
                if circuit == "open", harness.upstream.modelListings.count >= 2 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(circuit == "open")
            #expect(harness.upstream.modelListings.count >= 2)
        }
    }

    @Test func aRecoveredProviderEndsTheCooldownEarly() async throws {
        try await RouterHarness.run(configure: Self.providers) { harness in
            let checker = HealthCheckService(runtime: harness.runtime)
            harness.upstream.forceModelListingStatus(503)
            await checker.checkAll()
            await checker.checkAll()
            var report = try parseJSON(try await harness.get("/health/providers").body)
            #expect(target(report, "fake", "fake/gpt-test")?["circuit"]?.stringValue == "open")
            #expect(provider(report, "fake")?["last_error"]?.stringValue?.hasPrefix("HTTP 503 from /models") == true)
            harness.upstream.forceModelListingStatus(nil)
            await checker.checkAll()
            report = try parseJSON(try await harness.get("/health/providers").body)
            #expect(target(report, "fake", "fake/gpt-test")?["circuit"]?.stringValue == "half-open")
            #expect(provider(report, "fake")?["health"]?.stringValue == "healthy")
        }
    }

    @Test func checksUseEachProvidersListingAndAuthentication() async throws {
        try await RouterHarness.run(configure: { configuration, port in
            var anthropic = ProviderSettings(name: "claude", type: .anthropic, baseURL: "http://127.0.0.1:\(port)/v1")
            anthropic.apiKey = .value("sk-ant-secret-abcdefgh")
            anthropic.models = ["claude-sonnet-4-5"]
            var ollama = ProviderSettings(name: "local", type: .ollama, baseURL: "http://127.0.0.1:\(port)")
            ollama.models = ["llama3"]
            configuration.providers += [anthropic, ollama]
        }) { harness in
            let checker = HealthCheckService(runtime: harness.runtime)
            let snapshot = harness.runtime.snapshot
            let claude = try #require(snapshot.configuration.provider(named: "claude"))
            let (claudeResult, _) = await checker.check(claude, credential: snapshot.credentials["claude"], credentialProblem: nil)
            #expect(claudeResult.isHealthy)
            let claudeListing = try #require(harness.upstream.modelListings.last)
            #expect(claudeListing.headers[.init("x-api-key")!] == "sk-ant-secret-abcdefgh")
            #expect(claudeListing.headers[.init("anthropic-version")!] == "2023-06-01")
            #expect(claudeListing.headers[.authorization] == nil)

            let fake = try #require(snapshot.configuration.provider(named: "fake"))
            let (fakeResult, models) = await checker.check(fake, credential: snapshot.credentials["fake"], credentialProblem: nil)
            #expect(fakeResult.isHealthy)
            #expect(models == ["gpt-test", "slow-stream"])
            #expect(harness.upstream.modelListings.last?.headers[.authorization] == "Bearer \(Self.upstreamKey)")

            // The fake has no /api/tags: reachable, so healthy, with a note saying what was not checked.
            let local = try #require(snapshot.configuration.provider(named: "local"))
            let (localResult, _) = await checker.check(local, credential: nil, credentialProblem: nil)
            #expect(localResult.isHealthy)
            #expect(localResult.note?.contains("/api/tags") == true)
            #expect(harness.upstream.modelListings.count == 2)

            let (blocked, _) = await checker.check(fake, credential: nil, credentialProblem: "secret 'openai' is not set")
            #expect(!blocked.isHealthy)
            #expect(blocked.error == "credential: secret 'openai' is not set")
        }
    }

    @Test func checksDiscoverTheModelsOfProvidersThatListNone() async throws {
        try await RouterHarness.run(configure: { configuration, port in
            var open = ProviderSettings(name: "open", type: .openaiCompatible, baseURL: "http://127.0.0.1:\(port)/v1")
            open.apiKey = .value(Self.upstreamKey)
            configuration.providers.append(open)
        }) { harness in
            #expect(harness.runtime.snapshot.catalog.models(of: "open") == nil)
            await HealthCheckService(runtime: harness.runtime).checkAll()
            #expect(harness.runtime.snapshot.catalog.models(of: "open") == ["gpt-test", "slow-stream"])
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"open/nothing","messages":[]}"#)
            #expect(response.status == 404)
        }
    }

    @Test func upstreamErrorsNeverLeakTheKey() async throws {
        try await RouterHarness.run(configure: Self.providers) { harness in
            harness.upstream.forceModelListingStatus(401)
            await HealthCheckService(runtime: harness.runtime).checkAll()
            let providers = try await harness.get("/health/providers").body
            let status = try await harness.get("/status").body
            for body in [providers, status] {
                #expect(!body.contains(Self.upstreamKey))
                #expect(!body.contains("upstream-secret"))
            }
            let report = try parseJSON(providers)
            #expect(provider(report, "fake")?["last_error"]?.stringValue == "HTTP 401 from /models: Listing failed for Bearer [redacted]")
        }
    }

    @Test func providersReportShape() async throws {
        try await RouterHarness.run(configure: Self.providers) { harness in
            _ = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/gpt-test","messages":[]}"#)
            let response = try await harness.get("/health/providers")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let report = try parseJSON(response.body)
            #expect(report["providers"]?.arrayValue?.map { $0["name"]?.stringValue } == ["fake", "mock", "dead"])
            let fake = try #require(provider(report, "fake"))
            for key in ["type", "base_url", "health", "last_check", "last_check_latency_ms", "last_error", "credential", "models", "targets"] {
                #expect(fake[key] != nil, "provider field \(key)")
            }
            #expect(fake["health"]?.stringValue == "unknown")
            #expect(fake["last_check"] == .null)
            #expect(fake["type"]?.stringValue == "openai-compatible")
            // Route targets first, then configured models, then any others used.
            let names = fake["targets"]?.arrayValue?.compactMap { $0["target"]?.stringValue } ?? []
            #expect(names.first == "fake/gpt-test")
            #expect(names.contains("fake/hang"))
            let used = try #require(target(report, "fake", "fake/gpt-test"))
            for key in ["circuit", "latency_ewma_ms", "in_flight", "requests", "failures", "last_error", "consecutive_failures"] {
                #expect(used[key] != nil, "target field \(key)")
            }
            #expect(used["circuit"]?.stringValue == "closed")
            #expect(used["requests"]?.intValue == 1)
            #expect(used["in_flight"]?.intValue == 0)
            #expect((used["latency_ewma_ms"]?.doubleValue ?? 0) > 0)
            #expect(used["last_error"] == .null)
        }
    }

    @Test func statusReportShape() async throws {
        try await RouterHarness.run { harness in
            _ = try await harness.post("/v1/chat/completions", json: #"{"model":"default","messages":[]}"#)
            _ = try await harness.post("/v1/chat/completions", json: #"{"model":"default","messages":[]}"#)
            let response = try await harness.get("/status")
            #expect(response.status == 200)
            let status = try parseJSON(response.body)
            #expect(status["listen"]?.stringValue == "127.0.0.1:\(harness.routerPort)")
            #expect(status["version"]?.stringValue == RouterVersion.current)
            #expect(status["requests_served"]?.intValue == 2)
            #expect((status["uptime_seconds"]?.doubleValue ?? -1) >= 0)
            #expect(status["started_at"]?.stringValue != nil)
            #expect(status["config_file"] == .null)
            #expect(status["providers"]?.arrayValue?.count == 2)
        }
    }

    @Test func onlyLoopbackClientsAreLoopback() throws {
        #expect(SystemController.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        #expect(SystemController.isLoopback(try SocketAddress(ipAddress: "127.8.0.3", port: 1)))
        #expect(SystemController.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
        #expect(SystemController.isLoopback(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)))
        #expect(!SystemController.isLoopback(try SocketAddress(ipAddress: "192.168.1.5", port: 1)))
        #expect(!SystemController.isLoopback(try SocketAddress(ipAddress: "fe80::1", port: 1)))
        #expect(!SystemController.isLoopback(nil))
    }

    @Test func baseURLsLoseUserInfoAndQueries() {
        #expect(ProvidersReport.displayURL("https://user:sk-secret@api.example.com/v1?key=AIza123") == "https://api.example.com/v1")
        #expect(ProvidersReport.displayURL("http://127.0.0.1:11434") == "http://127.0.0.1:11434")
    }
}

/// The loopback rule over a real non-loopback connection (skipped on machines with no such interface).
@Suite("/health/providers and /status refuse remote clients")
struct RoutingRemoteClientTests {
    /// The first IPv4 address of an interface that is up and not loopback.
    static let externalAddress: String? = {
        var interfaces: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&interfaces) == 0, let first = interfaces else { return nil }
        defer { freeifaddrs(interfaces) }
        for pointer in sequence(first: first, next: { $0.pointee.ifa_next }) {
            let interface = pointer.pointee
            guard let address = interface.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                (interface.ifa_flags & UInt32(IFF_UP)) != 0, (interface.ifa_flags & UInt32(IFF_LOOPBACK)) == 0
            else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
            else { continue }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }()

    @Test(.enabled(if: externalAddress != nil, "no non-loopback IPv4 interface"))
    func remoteClientsWithoutAKeyAreRefused() async throws {
        let external = try #require(Self.externalAddress)
        var configuration = Configuration()
        var mock = ProviderSettings(name: "mock", type: .mock, baseURL: "mock://local")
        mock.models = ["echo"]
        configuration.providers = [mock]
        configuration.server.allowRemote = true
        var logger = Logger(label: "router")
        logger.logLevel = .critical
        let runtime = RouterRuntime(
            configuration: configuration, credentials: { _ in .failure(CredentialProblem("none")) },
            transport: UpstreamTransport(), accessLog: nil, logger: logger)
        let daemon = RouterDaemon(runtime: runtime)
        try await withServices([{ onListening in daemon.makeApplication(listen: .init(host: "0.0.0.0", port: 0), onListening: onListening) }]) {
            ports in
            for path in ["/health/providers", "/status"] {
                let remote = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://\(external):\(ports[0])\(path)"), timeout: .seconds(5))
                #expect(remote.status.code == 403)
                let body = String(buffer: try await remote.body.collect(upTo: 1 << 20))
                #expect(try parseJSON(body)["error"]?["code"] != nil)
                let local = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(ports[0])\(path)"), timeout: .seconds(5))
                #expect(local.status.code == 200)
                _ = try await local.body.collect(upTo: 1 << 20)
            }
            // /health stays open to everyone.
            let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://\(external):\(ports[0])/health"), timeout: .seconds(5))
            #expect(health.status.code == 200)
        }
        await runtime.transport.shutdown()
    }
}
