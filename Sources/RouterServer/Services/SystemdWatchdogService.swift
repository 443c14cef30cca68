import ServiceLifecycle

/// Sends `WATCHDOG=1` every half `WatchdogSec`, from the same cooperative pool that serves
/// requests, so a daemon whose tasks stop making progress is restarted by systemd.
package struct SystemdWatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration

    /// Nil when systemd asked for no watchdog.
    package init?(notifier: SystemdNotifier) {
        guard notifier.isEnabled, let interval = notifier.watchdogInterval else { return nil }
        self.notifier = notifier
        self.interval = interval
    }

    package func run() async throws {
        // Ends quietly on shutdown: a service that throws there makes ServiceGroup cancel
        // everything, requests still draining included.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.watchdog()
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
