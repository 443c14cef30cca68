import Foundation
import RouterCore
import Testing
@testable import RouterServer

/// The real daemon in front of a fake upstream whose models fail on demand.
@Suite("Routing through the daemon: breakers, fallback, strategies")
struct RoutingDaemonTests {
    static func chat(_ model: String, stream: Bool = false) -> String {
        #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"Hi"}]}"#
    }

    /// Adds a route over `fake/<model>` targets with the given breaker settings.
    static func route(
        _ name: String, _ models: [String], strategy: RouteStrategy = .fallback, weights: [Double]? = nil,
        threshold: Int = 2, cooldown: Duration = .seconds(60)
    ) -> @Sendable (inout Configuration, Int) -> Void {
        { configuration, _ in
            configuration.providers[0].models! += models.filter { !configuration.providers[0].models!.contains($0) }
            let targets = models.enumerated().map { RouteTarget(target: "fake/\($1)", weight: weights?[$0] ?? 1) }
            configuration.routes.append(RouteSettings(name: name, strategy: strategy, targets: targets))
            configuration.health.failureThreshold = threshold
            configuration.health.cooldown = cooldown
        }
    }

    @Test func aFailingTargetStopsGettingTrafficWhileOpenThenGetsExactlyOneProbe() async throws {
        // The breakers read an injected clock: the cooldown passes when the test says so.
        let clock = ManualClock()
        let routing = RoutingState(now: { clock.now })
        try await RouterHarness.run(routing: routing, configure: Self.route("smart", ["flaky", "gpt-test"], cooldown: .milliseconds(300))) {
            harness in
            harness.upstream.forceStatus(500, for: "flaky")
            for _ in 0..<6 {
                let response = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
                #expect(response.status == 200)
            }
            // Two failures opened the circuit; the next four went straight to the fallback.
            #expect(harness.upstream.requestCount(model: "flaky") == 2)
            #expect(harness.log.all.map(\.fields.attempts) == [2, 2, 1, 1, 1, 1])
            clock.advance(.milliseconds(299))
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(harness.upstream.requestCount(model: "flaky") == 2)

            clock.advance(.milliseconds(1))
            // Ten requests at once after the cooldown: exactly one is the probe.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await harness.post("/v1/chat/completions", json: Self.chat("smart")).status } }
                for try await status in group { #expect(status == 200) }
            }
            #expect(harness.upstream.requestCount(model: "flaky") == 3)
            // The probe failed: open again for a whole cooldown, no traffic.
            clock.advance(.milliseconds(299))
            for _ in 0..<3 { _ = try await harness.post("/v1/chat/completions", json: Self.chat("smart")) }
            #expect(harness.upstream.requestCount(model: "flaky") == 3)

            // Recovered: after the cooldown the probe succeeds and closes the circuit.
            harness.upstream.forceStatus(nil, for: "flaky")
            clock.advance(.milliseconds(1))
            let probe = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(probe.headers.first(name: "x-localrouter-model") == "flaky")
            #expect(probe.headers.first(name: "x-localrouter-attempts") == "1")
            for _ in 0..<3 { _ = try await harness.post("/v1/chat/completions", json: Self.chat("smart")) }
            #expect(harness.upstream.requestCount(model: "flaky") == 7)

            let report = try parseJSON(try await harness.get("/health/providers").body)
            let target = report["providers"]?.arrayValue?.first { $0["name"]?.stringValue == "fake" }?["targets"]?.arrayValue?
                .first { $0["target"]?.stringValue == "fake/flaky" }
            #expect(target?["circuit"]?.stringValue == "closed")
            #expect(target?["requests"]?.intValue == 7)
            #expect(target?["failures"]?.intValue == 3)
            #expect(target?["last_error"]?.stringValue == "upstream_500: Forced failure")
        }
    }

    /// The same on the wall clock, with a 300 ms cooldown: the daemon's real clock ends the cooldown.
    @Test func theCooldownEndsOnTheWallClock() async throws {
        try await RouterHarness.run(configure: Self.route("smart", ["flaky", "gpt-test"], threshold: 1, cooldown: .milliseconds(300))) { harness in
            harness.upstream.forceStatus(500, for: "flaky")
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(harness.upstream.requestCount(model: "flaky") == 1)
            try await Task.sleep(for: .milliseconds(320))
            harness.upstream.forceStatus(nil, for: "flaky")
            let probe = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(probe.headers.first(name: "x-localrouter-model") == "flaky")
            #expect(harness.upstream.requestCount(model: "flaky") == 2)
        }
    }

    @Test func aFallbackRouteSurvivesADeadTarget() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            var dead = ProviderSettings(name: "dead", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
            dead.models = ["gpt-test"]
            configuration.providers.append(dead)
            configuration.routes.append(RouteSettings(name: "smart", targets: [RouteTarget(target: "dead/gpt-test"), RouteTarget(target: "fake/gpt-test")]))
            configuration.health.failureThreshold = 2
        }) { harness in
            for _ in 0..<8 {
                let response = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
                #expect(response.status == 200)
                #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
            }
            #expect(harness.log.all.map(\.fields.attempts) == [2, 2, 1, 1, 1, 1, 1, 1])
            #expect(harness.log.all.allSatisfy { $0.fields.errorClass == nil && $0.fields.status == 200 })
            let report = try parseJSON(try await harness.get("/health/providers").body)
            let dead = report["providers"]?.arrayValue?.first { $0["name"]?.stringValue == "dead" }?["targets"]?.arrayValue?.first
            #expect(dead?["circuit"]?.stringValue == "open")
            #expect(dead?["last_error"]?.stringValue?.hasPrefix("upstream_connect_error: connection") == true)
        }
    }

    @Test func aHangingTargetTimesOutOnceThenIsSkipped() async throws {
        try await RouterHarness.run(configure: { configuration, port in
            var slow = ProviderSettings(name: "slow", type: .openaiCompatible, baseURL: "http://127.0.0.1:\(port)/v1")
            slow.models = ["hang"]
            slow.timeout = .seconds(1)
            configuration.providers.append(slow)
            configuration.routes.append(RouteSettings(name: "smart", targets: [RouteTarget(target: "slow/hang"), RouteTarget(target: "fake/gpt-test")]))
            configuration.health.failureThreshold = 1
        }) { harness in
            let first = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-localrouter-attempts") == "2")
            let start = ContinuousClock.now
            let second = try await harness.post("/v1/chat/completions", json: Self.chat("smart"))
            #expect(second.headers.first(name: "x-localrouter-attempts") == "1")
            // Trying the hanging target again would take its whole 1 s timeout.
            #expect(ContinuousClock.now - start < .milliseconds(900))
            #expect(harness.upstream.requestCount(model: "hang") == 1)
        }
    }

    @Test func a429WithRetryAfterMovesTheTargetBehindTheOthers() async throws {
        // A high threshold: the circuit stays closed, only Retry-After reorders.
        try await RouterHarness.run(configure: Self.route("smart", ["fail-429", "gpt-test"], threshold: 10)) { harness in
            for _ in 0..<4 {
                let status = try await harness.post("/v1/chat/completions", json: Self.chat("smart")).status
                #expect(status == 200)
            }
            #expect(harness.upstream.requestCount(model: "fail-429") == 1)
            #expect(harness.log.all.map(\.fields.attempts) == [2, 1, 1, 1])
        }
    }

    @Test func streamsResetMidwayCountAgainstTheTarget() async throws {
        try await RouterHarness.run(configure: Self.route("streamy", ["reset-stream", "gpt-test"])) { harness in
            for _ in 0..<2 {
                let response = try await harness.stream("/v1/chat/completions", json: Self.chat("streamy", stream: true))
                let data = sseData(response.chunks.map(\.text).joined())
                #expect(!data.contains("[DONE]"))
                #expect(try parseJSON(try #require(data.last))["error"]?["code"]?.stringValue == "upstream_stream_error")
            }
            let response = try await harness.stream("/v1/chat/completions", json: Self.chat("streamy", stream: true))
            #expect(response.headers.first(name: "x-localrouter-model") == "gpt-test")
            #expect(sseData(response.chunks.map(\.text).joined()).last == "[DONE]")
            #expect(harness.upstream.requestCount(model: "reset-stream") == 2)
        }
    }

    @Test func whenEveryCircuitIsOpenTheLeastRecentlyFailedIsTried() async throws {
        try await RouterHarness.run(configure: Self.route("pair", ["down-a", "down-b"], threshold: 1)) { harness in
            harness.upstream.forceStatus(500, for: "down-a")
            harness.upstream.forceStatus(503, for: "down-b")
            func counts() -> [Int] { ["down-a", "down-b"].map { harness.upstream.requestCount(model: $0) } }

            let first = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            #expect(first.status == 502)
            let message = try parseJSON(first.body)["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("fake/down-a: HTTP 500"))
            #expect(message.contains("fake/down-b: HTTP 503"))
            #expect(counts() == [1, 1])
            // Both open: one try each time, alternating as each becomes the least recently failed.
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            #expect(counts() == [2, 1])
            let third = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            #expect(third.status == 503)
            #expect(third.headers.first(name: "x-localrouter-attempts") == "1")
            #expect(counts() == [2, 2])
            // B recovers; as the least recently failed it is tried next, and its success closes it.
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            #expect(counts() == [3, 2])
            harness.upstream.forceStatus(nil, for: "down-b")
            let recovered = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            let again = try await harness.post("/v1/chat/completions", json: Self.chat("pair"))
            #expect(recovered.status == 200)
            #expect(again.status == 200)
            #expect(counts() == [3, 4])
            #expect(harness.log.all.map(\.fields.attempts) == [2, 1, 1, 1, 1, 1])
            #expect(harness.log.all.prefix(4).allSatisfy { $0.fields.errorClass != nil })
        }
    }

    /// Sends `count` requests, eight at a time, and returns how many each upstream model got.
    private func distribute(_ harness: RouterHarness, route: String, count: Int, models: [String]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for _ in stride(from: worker, to: count, by: 8) {
                        let response = try await harness.post("/v1/chat/completions", json: Self.chat(route))
                        #expect(response.status == 200)
                    }
                }
            }
            try await group.waitForAll()
        }
        return models.map { harness.upstream.requestCount(model: $0) }
    }

    @Test func roundRobinSplitsEvenly() async throws {
        try await RouterHarness.run(configure: Self.route("robin", ["alpha", "beta"], strategy: .roundRobin)) { harness in
            let counts = try await distribute(harness, route: "robin", count: 200, models: ["alpha", "beta"])
            #expect(counts == [100, 100])
        }
    }

    @Test func weightedFollowsTheWeights() async throws {
        try await RouterHarness.run(configure: Self.route("heavy", ["alpha", "beta"], strategy: .weighted, weights: [1, 3])) { harness in
            let counts = try await distribute(harness, route: "heavy", count: 200, models: ["alpha", "beta"])
            #expect(counts.reduce(0, +) == 200)
            // Expected 50 / 150; the binomial standard deviation is ~6, so ±25 fails about never.
            #expect(abs(counts[0] - 50) <= 25, "alpha got \(counts[0]) of 200")
        }
    }

    @Test func costIsFilledForWholeAnswersAndStreams() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.pricing["fake/gpt-test"] = Price(input: 1, output: 2)
        }) { harness in
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("fake/gpt-test"))
            _ = try await harness.stream("/v1/chat/completions", json: Self.chat("fake/gpt-test", stream: true))
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("default"))
            _ = try await harness.post("/v1/chat/completions", json: Self.chat("fake/slow-stream"))
            let costs = await harness.log.all(atLeast: 4).map(\.fields.costUSD)
            #expect(costs.count == 4)
            #expect(abs((costs[0] ?? 0) - 13e-6) < 1e-12)  // 9 in × $1 + 2 out × $2 per million
            #expect(abs((costs[1] ?? 0) - 15e-6) < 1e-12)  // 9 in, 3 out
            #expect(costs[2] == 0)  // the mock is free
            #expect(costs[3] == nil)  // no known price
        }
    }

    @Test func measureTheCostOfFallingBackFromARefusedConnection() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            var dead = ProviderSettings(name: "dead", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
            dead.models = ["gpt-test"]
            configuration.providers.append(dead)
            configuration.routes.append(RouteSettings(name: "smart", targets: [RouteTarget(target: "dead/gpt-test"), RouteTarget(target: "fake/gpt-test")]))
            // Never open the circuit: every request pays for the refused connection.
            configuration.health.failureThreshold = 1_000_000
        }) { harness in
            func median(_ model: String) async throws -> Duration {
                var samples: [Duration] = []
                for _ in 0..<40 {
                    let start = ContinuousClock.now
                    let response = try await harness.post("/v1/chat/completions", json: Self.chat(model))
                    samples.append(ContinuousClock.now - start)
                    #expect(response.status == 200)
                }
                return samples.sorted()[samples.count / 2]
            }
            _ = try await median("fake/gpt-test")  // warm up connections
            let direct = try await median("fake/gpt-test")
            let fallback = try await median("smart")
            let added = (fallback - direct) / .milliseconds(1)
            print("fallback after a refused connection: median \(fallback / .milliseconds(1)) ms vs direct \(direct / .milliseconds(1)) ms, adds \(added) ms")
            #expect(harness.log.all.last?.fields.attempts == 2)
            #expect(fallback - direct < .milliseconds(100))
        }
    }
}
