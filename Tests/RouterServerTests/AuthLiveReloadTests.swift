import Foundation
import Logging
import RouterSecrets
import Testing
@testable import RouterServer

@Suite("Auth: key changes reach a running daemon without a restart")
struct AuthLiveReloadTests {
    /// Polls until `path` answers `status` for `key`; returns how long that took.
    private func timeUntil(_ status: Int, key: String, base: String, limit: Duration = .seconds(3)) async throws -> Duration {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await authRequest(base, "/v1/models", headers: bearer(key)).status == status { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("still not \(status) after \(limit)")
        return limit
    }

    @Test func createRevokeRotateDisableAndEnableTakeEffectWithinTwoSeconds() async throws {
        let fixture = try AuthKeyFixture()
        let first = try fixture.store.create(name: "first").key
        let keyRing = try fixture.makeKeyRing()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // The daemon's own settings: a 500 ms poll.
        let service = KeyRingService(keyRing: keyRing, logger: logger)
        let watcher = Task { try await service.run() }
        defer { watcher.cancel() }

        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(first)).status == 200)
            var timings: [String: Duration] = [:]

            let second = try fixture.store.create(name: "second").key
            timings["create"] = try await timeUntil(200, key: second, base: harness.base)

            try fixture.store.revoke(name: "first")
            timings["revoke"] = try await timeUntil(401, key: first, base: harness.base)

            let rotated = try fixture.store.rotate(name: "second")
            timings["rotate (new works)"] = try await timeUntil(200, key: rotated, base: harness.base)
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(second)).status == 401, "the old secret stops at once")

            try fixture.store.disable(name: "second")
            timings["disable"] = try await timeUntil(401, key: rotated, base: harness.base)
            try fixture.store.enable(name: "second")
            timings["enable"] = try await timeUntil(200, key: rotated, base: harness.base)

            for (change, elapsed) in timings {
                #expect(elapsed < .seconds(2), "\(change) took \(elapsed)")
            }
            print("live key changes picked up after: " + timings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    @Test func theServiceFlushesLastUsedTimesPeriodicallyAndAtShutdown() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "editor").key
        let keyRing = try fixture.makeKeyRing()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = KeyRingService(keyRing: keyRing, logger: logger, flushInterval: .milliseconds(50))
        let watcher = Task { try await service.run() }

        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(key)).status == 200)
        }
        let usedAt = fixture.clock.now
        let start = ContinuousClock.now
        while try fixture.store.list().first?.lastUsedAt == nil, ContinuousClock.now - start < .seconds(2) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sameInstant(try fixture.store.list().first?.lastUsedAt, usedAt))

        // A use just before shutdown is written by the final flush.
        fixture.clock.advance(by: 30)
        keyRing.noteUsed("editor")
        watcher.cancel()
        try await watcher.value
        #expect(sameInstant(try fixture.store.list().first?.lastUsedAt, fixture.clock.now))
    }
}
