import Foundation
import Testing
@testable import RouterServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("sd_notify")
struct SystemdNotifyTests {
    @Test("messages reach a socket bound at a path")
    func pathSocket() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let listener = try NotifySocketListener(path: home.path + "/notify")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path])
        #expect(notifier.isEnabled)
        notifier.ready(status: "serving")
        #expect(await listener.next() == "READY=1\nSTATUS=serving")
        notifier.reloading()
        let reloading = try #require(await listener.next())
        let fields = reloading.split(separator: "\n").map(String.init)
        #expect(fields.first == "RELOADING=1")
        let monotonic = try #require(fields.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) })
        #expect(monotonic > 0 && monotonic <= SystemdNotifier.monotonicMicroseconds())
        notifier.stopping()
        #expect(await listener.next()?.hasPrefix("STOPPING=1\n") == true)
    }

    @Test("messages reach a socket in the abstract namespace (@name)")
    func abstractSocket() async throws {
        let name = "localrouter-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try NotifySocketListener(path: name, abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(notifier.send(["WATCHDOG=1"]))
        #expect(await listener.next() == "WATCHDOG=1")
    }

    @Test("without NOTIFY_SOCKET nothing is sent; a relative path is ignored")
    func disabled() {
        #expect(!SystemdNotifier(environment: [:]).isEnabled)
        #expect(!SystemdNotifier(environment: [:]).send(["READY=1"]))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]).isEnabled)
    }

    @Test("watchdog pings at half of WATCHDOG_USEC, only for the process WATCHDOG_PID names")
    func watchdogInterval() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(15))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"]).watchdogInterval == .seconds(15))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"], processID: 2).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
    }

    @Test("the real daemon: READY once listening, WATCHDOG pings, RELOADING/READY on SIGHUP, STOPPING on SIGTERM, exit 0")
    func daemonLifecycle() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        try home.write(config: mockConfig())
        let listener = try NotifySocketListener(path: home.path + "/notify")
        let daemon = try await DaemonProcess(
            // Pings every 1 s: the test reads the socket only when it asks, and a datagram queue
            // holds 10 messages (net.unix.max_dgram_qlen), so faster pings could crowd out the rest.
            home: home, environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000"])

        let ready = try #require(await listener.next(containing: "READY=1").match)
        #expect(ready.contains("STATUS=serving on 127.0.0.1:\(daemon.port)"))
        // READY=1 promises a listening socket: the port answers.
        let answer = await chat(daemon.base, model: "default")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(await listener.next(containing: "WATCHDOG=1", timeout: .seconds(3)).match != nil)

        daemon.signal(SIGHUP)
        let reloading = try #require(await listener.next(containing: "RELOADING=1").match)
        #expect(reloading.contains("MONOTONIC_USEC="))
        let reloaded = await listener.next(containing: "READY=1")
        #expect(reloaded.match?.contains("STATUS=serving on 127.0.0.1:\(daemon.port): 1 providers, 1 routes") == true)
        #expect(!reloaded.skipped.contains { $0.contains("STOPPING=1") })
        #expect(await daemon.waitForLog("config reloaded (SIGHUP)"))

        daemon.signal(SIGTERM)
        #expect(await listener.next(containing: "STOPPING=1").match != nil)
        #expect(await daemon.waitForExit() == 0)
        // The pid file `localrouter reload` uses is gone with the daemon.
        #expect(!FileManager.default.fileExists(atPath: home.runtimeDirectory + "/localrouter/localrouter.pid"))
    }
}
