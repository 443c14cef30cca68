import Hummingbird
import Logging
import NIOCore
import NIOPosix
import RouterCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Assembles the HTTP application and the background services, and runs them as one
/// `ServiceGroup` that shuts down gracefully on SIGTERM/SIGINT within `server.shutdown_grace`.
package struct RouterDaemon: Sendable {
    package let runtime: RouterRuntime
    package var extraServices: [any Service & Sendable] = []
    package var lifecycle = DaemonLifecycle()
    /// How long a client connection may sit without completing a request head or body part before
    /// it is closed: the bound on slowloris clients and abandoned keep-alive connections. It never
    /// cuts a response in progress (a long stream), only a connection the client leaves idle.
    package var connectionIdleTimeout: Duration = .seconds(60)
    /// The common proxied request is answered on its event loop, with no task (`EventLoopProxy`);
    /// off, every request takes the task's way (tests compare the two).
    package var answersOnEventLoop = true
    /// How many requests the event loop answered itself.
    package let answeredOnEventLoop = EventLoopProxy.Counter()

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    /// The HTTP server on `listen` (a `Service`); `onListening` receives the bound port (useful with port 0).
    package func makeApplication(
        listen: ListenAddress,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> any Service {
        let router = RouteTable()
        router.add(middleware: RequestMiddleware(runtime: runtime))
        router.add(middleware: AuthMiddleware(runtime: runtime))
        let listener = BoundListener(listen)
        SystemController(runtime: runtime, listener: listener).register(on: router)
        let proxy = ProxyController(runtime: runtime, bodyTimeout: connectionIdleTimeout)
        proxy.register(on: router)
        let runtime = self.runtime
        return Self.server(
            for: router, listen: listen, idleTimeout: connectionIdleTimeout,
            maxBodyBytes: { runtime.snapshot.configuration.server.maxBody }, logger: runtime.logger,
            loopProxy: answersOnEventLoop ? EventLoopProxy(runtime: runtime, controller: proxy, answered: answeredOnEventLoop) : nil
        ) { port in
            listener.bound(port: port)
            await onListening(port)
        }
    }

    /// The daemon's HTTP server for `router` on `listen`: what `makeApplication` serves, and what
    /// tests with middleware of their own serve through.
    package static func server(
        for router: RouteTable, listen: ListenAddress, idleTimeout: Duration,
        maxBodyBytes: @escaping @Sendable () -> Int, logger: Logger, loopProxy: EventLoopProxy? = nil,
        onListening: @escaping @Sendable (Int) async -> Void
    ) -> any Service {
        let host = listen.host.hasPrefix("[") ? String(listen.host.dropFirst().dropLast()) : listen.host
        let connections = RouterHTTPChannel(
            responder: router.buildResponder(), loopProxy: loopProxy, idleTimeout: idleTimeout, maxBodyBytes: maxBodyBytes)
        return connections.server(
            configuration: .init(address: .hostname(host, port: listen.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? listen.port) },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
    }

    /// Runs until SIGTERM/SIGINT: stops accepting, lets requests in flight finish within
    /// `server.shutdown_grace`, then returns (a second signal exits the process at once).
    /// SIGHUP reloads through `lifecycle.reloads`.
    package func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let configuration = runtime.snapshot.configuration
        let lifecycle = self.lifecycle
        let logger = runtime.logger
        if let limit = FileDescriptorLimit.raiseSoftLimit(), limit.after > limit.before {
            logger.info("open-file limit raised from \(limit.before) to \(limit.after)")
        }
        // Trapped before binding: SIGHUP's default action would kill a daemon reloaded at start-up.
        let signals = ProcessSignals([SIGTERM, SIGINT, SIGHUP])
        let application = makeApplication(listen: configuration.server.listen) { port in
            if let pidFile = lifecycle.pidFile {
                do { try pidFile.write() } catch { logger.warning("cannot write \(pidFile.path): \(error)") }
            }
            var address = configuration.server.listen
            address.port = port
            lifecycle.reloads?.listening(on: address)
            lifecycle.notifier.ready(status: ReloadCoordinator.servingStatus(runtime.snapshot.configuration, listen: address))
            await onListening(port)
        }
        var services: [any Service & Sendable] = [HealthCheckService(runtime: runtime), MemoryTrimService(metrics: runtime.accounting.metrics)]
        if let watchdog = SystemdWatchdogService(notifier: lifecycle.notifier) { services.append(watchdog) }
        if let reloads = lifecycle.reloads, lifecycle.watchConfigFile { services.append(ConfigReloadService(coordinator: reloads)) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: application)]
                + (services + extraServices).map {
                    // A background service that ends (or fails) must not cancel requests in flight.
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.server.shutdownGrace
        groupConfiguration.maximumCancellationDuration = .seconds(2)
        let group = ServiceGroup(configuration: groupConfiguration)
        let stopping = StopRequest()
        defer { lifecycle.pidFile?.remove() }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await withDiscardingTaskGroup { handlers in
                    for await signal in signals {
                        let name = ProcessSignals.name(signal)
                        if signal == SIGHUP {
                            guard let reloads = lifecycle.reloads else { continue }
                            handlers.addTask { await reloads.reload(reason: name) }
                        } else if stopping.markRequested() {
                            logger.warning("second \(name): exiting now, without waiting for requests in flight")
                            _exit(128 + signal)
                        } else {
                            logger.info(
                                "\(name): no longer accepting connections; waiting up to \(configuration.server.shutdownGrace) for requests in flight")
                            lifecycle.notifier.stopping()
                            await group.triggerGracefulShutdown()
                        }
                    }
                }
            }
            var failure: (any Error)?
            do {
                try await group.run()
            } catch where stopping.isRequested {
                failure = error  // Asked to stop, and stopped: still a clean exit.
            }
            if let since = stopping.requestedAt, ContinuousClock.now - since >= configuration.server.shutdownGrace {
                logger.warning("shutdown grace of \(configuration.server.shutdownGrace) ran out; cut off what was still running")
            } else if let failure {
                logger.error("shutdown did not drain cleanly: \(failure)")
            }
            tasks.cancelAll()
        }
    }
}

/// How the daemon fits its supervisor: systemd notifications, the pid file and reloads.
/// The default does none of these (tests embedding the daemon).
package struct DaemonLifecycle: Sendable {
    package var notifier = SystemdNotifier(environment: [:])
    package var pidFile: PidFile?
    package var reloads: ReloadCoordinator?
    /// Reload when the config file is saved (requires `reloads`).
    package var watchConfigFile = true

    package init() {}
}

/// Whether a stop signal arrived: the first one drains, the next one exits at once.
private final class StopRequest: Sendable {
    private let requested = Mutex<ContinuousClock.Instant?>(nil)

    /// True if a stop had already been requested.
    func markRequested() -> Bool {
        requested.withLock { instant in
            defer { instant = instant ?? .now }
            return instant != nil
        }
    }

    var isRequested: Bool { requestedAt != nil }
    var requestedAt: ContinuousClock.Instant? { requested.withLock { $0 } }
}
