import Hummingbird
import Logging
import NIOCore
import NIOPosix
import RouterCore
import ServiceLifecycle

/// Assembles the HTTP application and the background services, and runs them as one
/// `ServiceGroup` that shuts down gracefully on SIGTERM/SIGINT within `server.shutdown_grace`.
package struct RouterDaemon: Sendable {
    package let runtime: RouterRuntime
    package var extraServices: [any Service & Sendable] = []

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    /// The Hummingbird application on `listen`; `onListening` receives the bound port (useful with port 0).
    package func makeApplication(
        listen: ListenAddress,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: RouterRequestContext.self)
        router.middlewares.add(RequestMiddleware(runtime: runtime))
        router.middlewares.add(AuthMiddleware(runtime: runtime))
        let listener = BoundListener(listen)
        SystemController(runtime: runtime, listener: listener).register(on: router)
        ProxyController(runtime: runtime).register(on: router)
        let host = listen.host.hasPrefix("[") ? String(listen.host.dropFirst().dropLast()) : listen.host
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: listen.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                listener.bound(port: port)
                await onListening(port)
            },
            logger: runtime.logger
        )
    }

    /// Runs until SIGTERM/SIGINT (or until `shutdown` is triggered on the returned group in tests).
    package func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let configuration = runtime.snapshot.configuration
        let application = makeApplication(listen: configuration.server.listen, onListening: onListening)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: application)]
                + ([HealthCheckService(runtime: runtime)] + extraServices).map {
                    // A background service that ends (or fails) must not cancel requests in flight.
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: runtime.logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.server.shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}
