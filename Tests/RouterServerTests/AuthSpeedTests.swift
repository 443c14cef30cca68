import Foundation
import RouterSecrets
import Synchronization
import Testing
@testable import RouterServer

@Suite("Auth: a verified key costs microseconds")
struct AuthSpeedTests {
    @Test func cachedVerificationIsMicrosecondsAndRequestsCostAboutTheSame() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "bench").key
        let keyRing = try fixture.makeKeyRing()
        #expect(await keyRing.verifier.verify(key).record != nil)

        let iterations = 20_000
        let clock = ContinuousClock()
        let verifyTime = await clock.measure {
            for _ in 0..<iterations { _ = await keyRing.verifier.verify(key) }
        }
        let perVerify = verifyTime / iterations
        #expect(perVerify < .milliseconds(1), "a cached verification took \(perVerify)")
        #expect(keyRing.verifier.bcryptRuns == 1)

        // Same request, same process, with and without the auth middleware in front (printed, not asserted).
        @Sendable func medianLatency(_ base: String, headers: [(String, String)]) async throws -> Duration {
            var samples: [Duration] = []
            for _ in 0..<300 {
                let start = clock.now
                let response = try await authRequest(base, "/v1/chat/completions", method: .POST, headers: headers, json: echoChat)
                samples.append(clock.now - start)
                #expect(response.status == 200)
            }
            return samples.sorted()[samples.count / 2]
        }
        let medians = Mutex<(withAuth: Duration, withoutAuth: Duration)>((.zero, .zero))
        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            let median = try await medianLatency(harness.base, headers: bearer(key))
            medians.withLock { $0.withAuth = median }
        }
        try await RouterHarness.run { (harness) async throws in
            let median = try await medianLatency(harness.base, headers: [])
            medians.withLock { $0.withoutAuth = median }
        }
        let (withAuth, withoutAuth) = medians.withLock { $0 }
        print("auth figures: cached verify \(perVerify) per call; mock chat median \(withAuth) with a key vs \(withoutAuth) without auth")
    }
}
