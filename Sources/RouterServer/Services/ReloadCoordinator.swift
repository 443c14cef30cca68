import Foundation
import Logging
import RouterCore
import Synchronization

/// Re-reads the config (and, through the credential resolver, `secrets.enc`) on SIGHUP,
/// `localrouter reload` or a saved config file. The new config is validated first: an invalid
/// one leaves the running config serving and logs every problem as `FILE:LINE:COLUMN`; a valid
/// one is swapped in whole, so requests in flight finish on the snapshot they started with.
/// Reloads run one at a time, in the order they were asked for.
package final class ReloadCoordinator: Sendable {
    package enum Outcome: Sendable, Equatable {
        /// `needsRestart` lists settings that changed but only take effect at the next start.
        case applied(needsRestart: [String])
        case rejected(ConfigError)
    }

    /// Loads and validates the config from disk, with any command-line overrides applied.
    package typealias Loader = @Sendable () throws(ConfigError) -> Configuration
    /// Builds a fresh resolver for `secret:NAME`, reading the secrets store again.
    package typealias CredentialSource = @Sendable () -> CredentialResolver
    package typealias Hook = @Sendable (Configuration) async -> Void

    package let configPath: String
    let runtime: RouterRuntime
    let load: Loader
    let credentials: CredentialSource
    let notifier: SystemdNotifier
    let statusFile: ReloadStatusFile?
    /// Settings that cannot change while running are compared with what the daemon started on.
    let startup: Configuration
    private let hooks = Mutex<[Hook]>([])
    private let last = Mutex<Task<Outcome, Never>?>(nil)
    private let generation = Atomic<Int>(0)
    /// The address actually bound (the configured port may be 0), for the status line.
    private let boundAddress = Mutex<ListenAddress?>(nil)

    package init(
        configPath: String,
        runtime: RouterRuntime,
        load: @escaping Loader,
        credentials: @escaping CredentialSource,
        notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        statusFile: ReloadStatusFile? = nil
    ) {
        self.configPath = configPath
        self.runtime = runtime
        self.load = load
        self.credentials = credentials
        self.notifier = notifier
        self.statusFile = statusFile
        self.startup = runtime.snapshot.configuration
    }

    /// Registers something else to refresh on every reload (the keys verifier, say), called
    /// with the config now serving: the new one, or the old one if the new one was rejected.
    /// Hooks run after the config swap, in registration order.
    package func onReload(_ hook: @escaping Hook) {
        hooks.withLock { $0.append(hook) }
    }

    /// Called once the server listens.
    package func listening(on address: ListenAddress) {
        boundAddress.withLock { $0 = address }
    }

    /// Number of reloads attempted so far.
    package var reloadCount: Int { generation.load(ordering: .relaxed) }

    /// Reloads once every earlier reload has finished; `reason` is logged.
    @discardableResult
    package func reload(reason: String) async -> Outcome {
        let task = last.withLock { previous in
            let waitFor = previous
            let next = Task { [self] in
                _ = await waitFor?.value
                return await perform(reason: reason)
            }
            previous = next
            return next
        }
        return await task.value
    }

    private func perform(reason: String) async -> Outcome {
        let logger = runtime.logger
        notifier.reloading()
        let number = generation.add(1, ordering: .relaxed).newValue
        let outcome: Outcome
        let configuration: Configuration
        do {
            configuration = try load()
        } catch {
            logger.error(
                "config reload (\(reason)) failed: the previous config keeps serving",
                metadata: ["problems": "\(error.diagnostics.count)"])
            for diagnostic in error.diagnostics {
                logger.error("\(diagnostic.description)")
            }
            outcome = .rejected(error)
            await runHooks()
            writeStatus(number, outcome)
            notifier.ready(status: "reload failed (\(error.diagnostics.count) problems); serving the previous config")
            return outcome
        }

        runtime.apply(configuration, credentials: credentials())
        let needsRestart = Self.settingsNeedingRestart(from: startup, to: configuration)
        for setting in needsRestart {
            logger.warning("\(setting) changed: it takes effect only after a restart (systemctl --user restart localrouter)")
        }
        for problem in runtime.snapshot.credentialProblems.sorted(by: { $0.key < $1.key }) {
            logger.warning("provider '\(problem.key)': \(problem.value)")
        }
        await runHooks()
        logger.info(
            "config reloaded (\(reason))",
            metadata: [
                "config": "\(configPath)", "providers": "\(configuration.providers.count)", "routes": "\(configuration.routes.count)",
            ])
        outcome = .applied(needsRestart: needsRestart)
        writeStatus(number, outcome)
        notifier.ready(status: Self.servingStatus(configuration, listen: boundAddress.withLock { $0 } ?? startup.server.listen))
        return outcome
    }

    /// Keys and the like reload even when the config was rejected: revoking a key must not
    /// wait for a config typo to be fixed.
    private func runHooks() async {
        let configuration = runtime.snapshot.configuration
        for hook in hooks.withLock({ $0 }) {
            await hook(configuration)
        }
    }

    private func writeStatus(_ number: Int, _ outcome: Outcome) {
        guard let statusFile else { return }
        let status: ReloadStatusFile.Status
        switch outcome {
        case .applied(let needsRestart):
            status = .init(
                processID: getpid(), generation: number, succeeded: true,
                messages: needsRestart.map { "\($0) changed: restart the daemon to apply it" })
        case .rejected(let error):
            status = .init(processID: getpid(), generation: number, succeeded: false, messages: error.diagnostics.map(\.description))
        }
        do {
            try statusFile.write(status)
        } catch {
            runtime.logger.warning("cannot write \(statusFile.path): \(error)")
        }
    }

    package static func servingStatus(_ configuration: Configuration, listen: ListenAddress) -> String {
        "serving on \(listen): \(configuration.providers.count) providers, \(configuration.routes.count) routes"
    }

    /// The settings read once at start: the listening socket, the shutdown grace given to
    /// the service group, and the logging set-up.
    package static func settingsNeedingRestart(from old: Configuration, to new: Configuration) -> [String] {
        var changed: [String] = []
        if old.server.listen != new.server.listen { changed.append("server.listen") }
        if old.server.allowRemote != new.server.allowRemote { changed.append("server.allow_remote") }
        if old.server.shutdownGrace != new.server.shutdownGrace { changed.append("server.shutdown_grace") }
        if old.logging.accessLog != new.logging.accessLog { changed.append("logging.access_log") }
        if old.logging.retentionDays != new.logging.retentionDays { changed.append("logging.retention_days") }
        if old.logging.level != new.logging.level { changed.append("logging.level") }
        return changed
    }
}
