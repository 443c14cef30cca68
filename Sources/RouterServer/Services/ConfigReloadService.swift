import ServiceLifecycle

/// Reloads when the config file is saved. A change is acted on once the file has looked the
/// same for one more poll, so an editor caught half-way through writing does not produce a
/// spurious "invalid config"; with 200 ms polls a save is live in about half a second.
package struct ConfigReloadService: Service {
    let coordinator: ReloadCoordinator
    let interval: Duration

    package init(coordinator: ReloadCoordinator, interval: Duration = .milliseconds(200)) {
        self.coordinator = coordinator
        self.interval = interval
    }

    package func run() async throws {
        let monitor = FileChangeMonitor(path: coordinator.configPath)
        // Ends quietly on shutdown: a service that throws there makes ServiceGroup cancel
        // everything, requests still draining included.
        await cancelWhenGracefulShutdown {
            var applied = monitor.signature()
            var previous = applied
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                let current = monitor.signature()
                defer { previous = current }
                guard current != applied, current == previous, current.exists else { continue }
                applied = current
                await coordinator.reload(reason: "config file changed")
            }
        }
    }
}
