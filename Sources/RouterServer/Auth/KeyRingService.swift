import Logging
import NIOPosix
import ServiceLifecycle

/// Keeps the daemon's keys current without a restart: watches `keys.enc` (the CLI replaces it by
/// rename) and reloads within one poll interval, and writes batched last-used times every
/// `flushInterval` and once more at shutdown. File work runs on NIO's blocking thread pool,
/// never on the cooperative pool that serves requests.
package struct KeyRingService: Service {
    let keyRing: ClientKeyRing
    let logger: Logger
    let pollInterval: Duration
    let flushInterval: Duration

    package init(keyRing: ClientKeyRing, logger: Logger, pollInterval: Duration = .milliseconds(500), flushInterval: Duration = .seconds(5)) {
        self.keyRing = keyRing
        self.logger = logger
        self.pollInterval = pollInterval
        self.flushInterval = flushInterval
    }

    package func run() async throws {
        let monitor = FileChangeMonitor(path: keyRing.keysFile.path)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // A change between the load at start and the first poll would otherwise be missed.
                    await reload()
                    await monitor.watch(every: pollInterval) { await reload() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: flushInterval) } catch { return }
                        await flush()
                    }
                }
            }
        }
        // Blocking on purpose: the task may already be cancelled, and the process is stopping anyway.
        do {
            try keyRing.flushLastUsed()
        } catch {
            logger.warning("could not record when keys were last used: \(error)")
        }
    }

    /// The same reload SIGHUP and `localrouter reload` use, off the request threads.
    package func reload() async {
        do {
            let count = try await NIOThreadPool.singleton.runIfActive { try keyRing.reloadKeys() }
            logger.debug("keys reloaded", metadata: ["usable_keys": "\(count)"])
        } catch {
            logger.error("keys not reloaded; the previous keys stay in force: \(error)")
        }
    }

    func flush() async {
        do {
            try await NIOThreadPool.singleton.runIfActive { try keyRing.flushLastUsed() }
        } catch {
            logger.warning("could not record when keys were last used: \(error)")
        }
    }
}
