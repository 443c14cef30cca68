import AsyncHTTPClient
import Foundation
import NIOCore
import RouterCore
import Synchronization
import Testing
@testable import RouterServer

#if canImport(Glibc)
import Glibc
#endif

/// Requests sent in a loop while a test reloads, counting every answer that was not a 200.
final class TrafficLoop: Sendable {
    private let counts = Mutex<(ok: Int, failed: [String])>((0, []))
    private let running = Atomic<Bool>(true)

    var ok: Int { counts.withLock { $0.ok } }
    var failures: [String] { counts.withLock { $0.failed } }

    func run(base: String, model: String, workers: Int = 2) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<workers {
                group.addTask {
                    while self.running.load(ordering: .relaxed) {
                        let (status, body) = await chat(base, model: model)
                        self.counts.withLock {
                            if status == 200 { $0.ok += 1 } else { $0.failed.append("\(status): \(body.prefix(200))") }
                        }
                    }
                }
            }
        }
    }

    func stop() { running.store(false, ordering: .relaxed) }
}

@Suite("reload")
struct ReloadTests {
    static let freshRoute = """
          fresh:
            targets: [mock/echo]
        """

    @Test("saving the config reloads it under live traffic: a valid edit goes live, an invalid one is logged and changes nothing")
    func reloadUnderTraffic() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        try home.write(config: mockConfig())
        let daemon = try await DaemonProcess(home: home)
        #expect(await chat(daemon.base, model: "fresh").status == 404)

        let traffic = TrafficLoop()
        async let trafficDone: Void = traffic.run(base: daemon.base, model: "default")

        // A valid edit, saved the way editors do (temp file renamed over the config).
        let saved = ContinuousClock.now
        try home.write(config: mockConfig(routes: Self.freshRoute))
        var freshStatus = 0
        while ContinuousClock.now - saved < .seconds(3) {
            freshStatus = await chat(daemon.base, model: "fresh").status
            if freshStatus == 200 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let pickedUpAfter = ContinuousClock.now - saved
        #expect(freshStatus == 200)
        #expect(pickedUpAfter < .seconds(2), "SPEC §8: a saved config is live within 2 s (took \(pickedUpAfter))")
        #expect(await daemon.waitForLog("config reloaded (config file changed)"))

        // An invalid edit: an unknown key on line 3, column 3.
        var lines = mockConfig(routes: Self.freshRoute).components(separatedBy: "\n")
        lines.insert("  max_bodyy: 1MiB", at: 2)
        try home.write(config: lines.joined(separator: "\n"))
        #expect(await daemon.waitForLog("\(home.configFile):3:3: "), "the diagnostic names file, line and column")
        #expect(await daemon.waitForLog("the previous config keeps serving"))
        #expect(await chat(daemon.base, model: "fresh").status == 200, "the previous config still serves")

        // `localrouter reload` reports the same problem and fails.
        let rejected = try await runCommand(BuiltProducts.localrouter, ["reload"], environment: home.environment())
        #expect(rejected.status != 0)
        #expect(rejected.standardError.contains("\(home.configFile):3:3: unknown key 'max_bodyy'"))
        #expect(rejected.standardError.contains("keeps serving its previous config"))

        // Fixed: `localrouter reload` succeeds (the file watcher may get there first; either way it is live).
        try home.write(config: mockConfig(routes: Self.freshRoute + "\n  third:\n    targets: [mock/echo]"))
        let accepted = try await runCommand(BuiltProducts.localrouter, ["reload"], environment: home.environment())
        #expect(accepted.status == 0, "\(accepted.standardError)")
        #expect(accepted.standardOutput.contains("reloaded (pid \(daemon.processID))"))
        #expect(await chat(daemon.base, model: "third").status == 200)

        traffic.stop()
        await trafficDone
        #expect(traffic.failures.isEmpty, "requests failed during reloads: \(traffic.failures.prefix(3))")
        #expect(traffic.ok > 20)

        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("`localrouter reload` without a running daemon fails with a one-line reason")
    func reloadWithoutDaemon() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let missing = try await runCommand(BuiltProducts.localrouter, ["reload"], environment: home.environment())
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("no running daemon found (no pid file at \(home.runtimeDirectory)/localrouter/localrouter.pid)"))

        // A stale pid file naming some other live process (this test runner) is not signalled.
        try PidFile(runtimeDirectory: home.runtimeDirectory + "/localrouter").write(processID: getpid())
        let stale = try await runCommand(BuiltProducts.localrouter, ["reload"], environment: home.environment())
        #expect(stale.status != 0)
        #expect(stale.standardError.contains("is not a running localrouter"))
    }

    @Test("a request in flight finishes on the config it started with; new requests see the new one")
    func inFlightKeepsSnapshot() async throws {
        try await RouterHarness.run { harness in
            let coordinator = ReloadCoordinator(
                configPath: "/dev/null", runtime: harness.runtime,
                load: {
                    var configuration = harness.runtime.snapshot.configuration
                    configuration.providers.removeAll { $0.name == "fake" }
                    return configuration
                },
                credentials: { { _ in .failure(CredentialProblem("none")) } })
            async let streamed = harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            // Reload once the upstream has the request, i.e. mid-stream.
            while harness.upstream.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            #expect(await coordinator.reload(reason: "test") == .applied(needsRestart: []))
            #expect(try await harness.post("/v1/chat/completions", json: #"{"model":"fake/gpt-test","messages":[]}"#).status == 404)

            let result = try await streamed
            #expect(result.status == 200)
            let text = result.chunks.map(\.text).joined()
            #expect(text.contains("\"Hello\"") && text.contains("\" there\"") && text.contains("data: [DONE]"))
        }
    }

    @Test("a reload re-resolves secret: credentials and runs every hook, even when the config is rejected")
    func credentialsAndHooks() async throws {
        try await RouterHarness.run { harness in
            let secret = Mutex("sk-first-value-0001")
            let valid = Atomic<Bool>(true)
            let coordinator = ReloadCoordinator(
                configPath: "/config.yaml", runtime: harness.runtime,
                load: { () throws(ConfigError) -> Configuration in
                    guard valid.load(ordering: .relaxed) else {
                        throw ConfigError(diagnostics: [.init(file: "/config.yaml", line: 4, column: 7, message: "bad")])
                    }
                    var configuration = harness.runtime.snapshot.configuration
                    configuration.providers[0].apiKey = .secret(name: "upstream")
                    return configuration
                },
                credentials: {
                    let value = secret.withLock { $0 }
                    return { name in name == "upstream" ? .success(value) : .failure(CredentialProblem("unset")) }
                })
            let calls = Mutex<[String]>([])
            coordinator.onReload { configuration in calls.withLock { $0.append("keys:\(configuration.providers.count)") } }
            coordinator.onReload { _ in calls.withLock { $0.append("second") } }

            func upstreamAuthorization() async throws -> String? {
                let answer = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/gpt-test","messages":[]}"#)
                #expect(answer.status == 200)
                return harness.upstream.requests.last?.headers[.authorization]
            }

            #expect(await coordinator.reload(reason: "test") == .applied(needsRestart: []))
            let first = try await upstreamAuthorization()
            #expect(first == "Bearer sk-first-value-0001")
            secret.withLock { $0 = "sk-rotated-value-0002" }
            #expect(await coordinator.reload(reason: "test") == .applied(needsRestart: []))
            let rotated = try await upstreamAuthorization()
            #expect(rotated == "Bearer sk-rotated-value-0002")

            valid.store(false, ordering: .relaxed)
            guard case .rejected(let error) = await coordinator.reload(reason: "test") else {
                Issue.record("an invalid config was applied")
                return
            }
            #expect(error.description == "/config.yaml:4:7: bad")
            let kept = try await upstreamAuthorization()
            #expect(kept == "Bearer sk-rotated-value-0002", "the old config keeps serving")
            #expect(calls.withLock { $0 } == ["keys:2", "second", "keys:2", "second", "keys:2", "second"])
            #expect(coordinator.reloadCount == 3)
        }
    }

    @Test("settings read only at start are reported as needing a restart")
    func restartNeeded() {
        let old = Configuration()
        var new = old
        #expect(ReloadCoordinator.settingsNeedingRestart(from: old, to: new).isEmpty)
        new.server.listen = ListenAddress(host: "127.0.0.1", port: 4000)
        new.server.shutdownGrace = .seconds(1)
        new.retry.attempts = 5  // live
        #expect(ReloadCoordinator.settingsNeedingRestart(from: old, to: new) == ["server.listen", "server.shutdown_grace"])
    }

    @Test("the reload status file round-trips what `localrouter reload` prints")
    func statusFile() throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let file = ReloadStatusFile(runtimeDirectory: home.runtimeDirectory + "/localrouter")
        #expect(file.read() == nil)
        let status = ReloadStatusFile.Status(processID: 42, generation: 3, succeeded: false, messages: ["a:1:2: x", "a:3:4: y"])
        try file.write(status)
        #expect(file.read() == status)
        var info = stat()
        #expect(stat(home.runtimeDirectory + "/localrouter", &info) == 0 && info.st_mode & 0o777 == 0o700)
    }
}
