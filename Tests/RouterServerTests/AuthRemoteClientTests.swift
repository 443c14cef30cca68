import Foundation
import Logging
import NIOCore
import NIOPosix
import RouterCore
import RouterSecrets
import Testing
@testable import RouterServer

/// This machine's first non-loopback IPv4 address, if it has one.
private let externalIPv4: String? = {
    (try? System.enumerateDevices())?.lazy.compactMap { device -> String? in
        guard case .v4? = device.address, !AuthPolicy.isLoopback(device.address) else { return nil }
        return device.address?.ipAddress
    }.first
}()

@Suite("Auth: status endpoints are open to loopback clients only")
struct AuthRemoteClientTests {
    @Test(.enabled(if: externalIPv4 != nil, "needs a non-loopback IPv4 address"))
    func providerHealthAndMetricsNeedAKeyFromAnotherAddress() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "remote").key
        var configuration = Configuration()
        var mock = ProviderSettings(name: "mock", type: .mock, baseURL: "mock://local")
        mock.models = ["echo"]
        configuration.providers = [mock]
        var logger = Logger(label: "router")
        logger.logLevel = .critical
        let runtime = RouterRuntime(
            configuration: configuration, credentials: { _ in .failure(CredentialProblem("none")) }, transport: UpstreamTransport(),
            accessLog: nil, keyRing: try fixture.makeKeyRing(), logger: logger)
        let daemon = RouterDaemon(runtime: runtime)
        try await withServices([{ onListening in daemon.makeApplication(listen: .init(host: "0.0.0.0", port: 0), onListening: onListening) }]) {
            ports in
            let local = "http://127.0.0.1:\(ports[0])"
            let remote = "http://\(externalIPv4!):\(ports[0])"
            #expect(try await authRequest(local, "/health/providers").status == 200)
            #expect(try await authRequest(remote, "/health").status == 200)
            let refused = try await authRequest(remote, "/health/providers")
            #expect(refused.status == 401)
            #expect(try parseJSON(refused.body)["error"]?["code"]?.stringValue == "invalid_api_key")
            #expect(try await authRequest(remote, "/health/providers", headers: bearer(key)).status == 200)
            #expect(try await authRequest(remote, "/metrics").status == 401)
            #expect(try await authRequest(remote, "/v1/models", headers: bearer(key)).status == 200)
        }
        await runtime.transport.shutdown()
    }
}
