import ArgumentParser
import Foundation
import Logging
import RouterCore
import RouterSecrets
import RouterServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon in the foreground (what the systemd unit runs).")

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "HOST:PORT to listen on, overriding server.listen.")
    var listen: String?

    func run() async throws {
        var (configuration, configPath) = try options.loadConfiguration()
        if let listen {
            do {
                configuration.server.listen = try ListenAddress.parse(listen)
            } catch {
                throw CLIError("--listen \(listen): \(error.message)")
            }
        }
        if !configuration.server.listen.isLoopback, !configuration.server.allowRemote {
            throw CLIError(
                "refusing to listen on \(configuration.server.listen): not a loopback address and server.allow_remote is not true")
        }
        let paths = options.paths
        let logLevel = Logger.Level(rawValue: configuration.logging.level) ?? .info

        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, logLevel: logLevel) }
        let logger = Logger(label: "localrouter")

        var accessLog: AccessLogWriter?
        if configuration.logging.accessLog {
            do {
                accessLog = try AccessLogWriter(directory: paths.logDirectory, retentionDays: configuration.logging.retentionDays)
            } catch {
                throw CLIError("cannot open the access log in \(paths.logDirectory): \(error)")
            }
        }
        defer { accessLog?.close() }

        let environment = CLIContext.environment
        // Refuses to start on an exposed master key or an unreadable keys.enc.
        let keyRing: ClientKeyRing
        do {
            keyRing = try ClientKeyRing(
                keysFile: URL(fileURLWithPath: paths.keysFile),
                masterKeyFile: MasterKey.locate(environment: CLIContext.environment, dataDirectory: URL(fileURLWithPath: paths.dataDirectory)))
        } catch {
            throw CLIError("\(error)")
        }
        // main.swift puts Swift Concurrency on the event loops; if that ever stops working (it did
        // once, silently, in the static build) every request pays thread hops: say so.
        if await !EventLoopGlobalExecutor.tasksRunOnEventLoops() {
            logger.warning("Swift Concurrency is not running on the event loops: expect several times the CPU per request")
        }
        if keyRing.usableKeyCount == 0 {
            logger.notice("no usable lr- keys yet: every /v1 request gets 401 until you run: localrouter keys create NAME")
        }
        let limits: LimitsEnforcer
        do {
            limits = try LimitsEnforcer.persistent(stateDirectory: paths.stateDirectory, logger: logger)
        } catch {
            throw CLIError("cannot open the spend ledger in \(paths.stateDirectory): \(error)")
        }
        // Runs after the daemon stops: every settled cost is on disk before exit.
        defer { limits.close() }

        let runtime = RouterRuntime(
            configuration: configuration,
            credentials: SecretLookup.resolver(paths: paths, environment: environment),
            transport: UpstreamTransport(),
            accessLog: accessLog,
            keyRing: keyRing,
            logger: logger,
            accounting: RequestAccounting(limits: limits)
        )
        var daemon = RouterDaemon(runtime: runtime)
        daemon.extraServices.append(KeyRingService(keyRing: keyRing, logger: logger))
        daemon.lifecycle = makeLifecycle(runtime: runtime, keyRing: keyRing, configPath: configPath, paths: paths, environment: environment)
        let listenAddress = configuration.server.listen
        let path = configPath
        do {
            try await daemon.run { port in
                var address = listenAddress
                address.port = port
                logger.info("listening on http://\(address) (config: \(path))")
            }
        } catch {
            await runtime.transport.shutdown()
            throw error
        }
        await runtime.transport.shutdown()
    }

    /// systemd notifications, the pid file `localrouter reload` signals, and reloads that
    /// re-read the config (keeping `--listen`) and `secrets.enc`.
    private func makeLifecycle(
        runtime: RouterRuntime, keyRing: ClientKeyRing, configPath: String, paths: ConfigPaths, environment: [String: String]
    )
        -> DaemonLifecycle
    {
        let listenOverride = listen.flatMap { try? ListenAddress.parse($0) }
        var lifecycle = DaemonLifecycle()
        lifecycle.notifier = SystemdNotifier(environment: environment)
        lifecycle.pidFile = PidFile(runtimeDirectory: paths.runtimeDirectory)
        lifecycle.reloads = ReloadCoordinator(
            configPath: configPath,
            runtime: runtime,
            load: { () throws(ConfigError) -> Configuration in
                var configuration = try ConfigLoader.load(path: configPath, environment: ProcessInfo.processInfo.environment)
                if let listenOverride { configuration.server.listen = listenOverride }
                return configuration
            },
            credentials: { SecretLookup.resolver(paths: paths, environment: environment) },
            notifier: lifecycle.notifier,
            statusFile: ReloadStatusFile(runtimeDirectory: paths.runtimeDirectory)
        )
        // Keys reload with everything else (the keys.enc watcher also catches CLI changes).
        let logger = runtime.logger
        lifecycle.reloads?.onReload { _ in
            do {
                _ = try keyRing.reloadKeys()
            } catch {
                logger.error("keys.enc could not be reloaded; the previous keys stay in force: \(error)")
            }
        }
        // Providers new in the reloaded config are health-checked (and their models discovered)
        // straight away, in the background: an unreachable provider must not hold up READY=1.
        lifecycle.reloads?.onReload { _ in
            Task { await HealthCheckService(runtime: runtime).checkAll() }
        }
        return lifecycle
    }
}
