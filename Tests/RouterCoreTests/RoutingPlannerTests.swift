import Testing

@testable import RouterCore

@Suite struct RoutingPlannerTests {
    let clock = RoutingFakeClock()
    var generator = SeededGenerator(seed: 42)

    private func candidates(_ names: [String], weights: [Double]? = nil) -> [RouteCandidate] {
        names.enumerated().map { position, name in
            RouteCandidate(
                target: RouteTarget(target: name, weight: weights?[position] ?? 1),
                breaker: CircuitBreaker(failureThreshold: 1, cooldown: .seconds(30)))
        }
    }

    private mutating func order(
        _ strategy: RouteStrategy, _ candidates: [RouteCandidate], planner: inout RoutePlanner, at seconds: Double = 100
    ) -> [String] {
        planner.plan(strategy: strategy, candidates: candidates, now: clock.at(seconds: seconds), using: &generator)
            .map(\.target.target)
    }

    private mutating func order(_ strategy: RouteStrategy, _ candidates: [RouteCandidate], at seconds: Double = 100)
        -> [String]
    {
        var planner = RoutePlanner()
        return order(strategy, candidates, planner: &planner, at: seconds)
    }

    @Test mutating func fallbackKeepsListedOrderAndSkipsOpenTargets() {
        var list = candidates(["a/1", "b/2", "c/3"])
        #expect(order(.fallback, list) == ["a/1", "b/2", "c/3"])
        list[0].breaker.recordFailure(now: clock.at(seconds: 90))
        #expect(order(.fallback, list) == ["b/2", "c/3"])
        // Cooldown over: the half-open target is admitted again, in its listed place.
        #expect(order(.fallback, list, at: 120) == ["a/1", "b/2", "c/3"])
    }

    @Test mutating func halfOpenTargetWithProbeOutIsSkipped() {
        var list = candidates(["a/1", "b/2"])
        list[0].breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(list[0].breaker.acquire(now: clock.at(seconds: 50)) == .probe)
        #expect(order(.fallback, list, at: 51) == ["b/2"])
    }

    @Test mutating func roundRobinRotatesTheStart() {
        let list = candidates(["a/1", "b/2", "c/3"])
        var planner = RoutePlanner()
        #expect(order(.roundRobin, list, planner: &planner) == ["a/1", "b/2", "c/3"])
        #expect(order(.roundRobin, list, planner: &planner) == ["b/2", "c/3", "a/1"])
        #expect(order(.roundRobin, list, planner: &planner) == ["c/3", "a/1", "b/2"])
        #expect(order(.roundRobin, list, planner: &planner) == ["a/1", "b/2", "c/3"])
    }

    @Test mutating func roundRobinIsEvenOver300Requests() {
        let list = candidates(["a/1", "b/2", "c/3"])
        var planner = RoutePlanner()
        var firsts: [String: Int] = [:]
        for _ in 0..<300 { firsts[order(.roundRobin, list, planner: &planner)[0], default: 0] += 1 }
        #expect(firsts == ["a/1": 100, "b/2": 100, "c/3": 100])
    }

    @Test mutating func roundRobinRotatesOverAdmittedTargetsOnly() {
        var list = candidates(["a/1", "b/2", "c/3", "d/4"])
        list[1].breaker.recordFailure(now: clock.at(seconds: 90))
        var planner = RoutePlanner()
        var firsts: [String: Int] = [:]
        for _ in 0..<300 { firsts[order(.roundRobin, list, planner: &planner)[0], default: 0] += 1 }
        #expect(firsts == ["a/1": 100, "c/3": 100, "d/4": 100])
    }

    @Test mutating func weightedOrderIsAPermutation() {
        let list = candidates(["a/1", "b/2", "c/3"], weights: [1, 2, 3])
        for _ in 0..<50 {
            #expect(order(.weighted, list).sorted() == ["a/1", "b/2", "c/3"])
        }
    }

    @Test mutating func weightedDistributionFollowsTheWeights() {
        let list = candidates(["a/1", "b/2", "c/3"], weights: [1, 3, 6])
        var planner = RoutePlanner()
        var firsts: [String: Int] = [:]
        let draws = 10_000
        for _ in 0..<draws { firsts[order(.weighted, list, planner: &planner)[0], default: 0] += 1 }
        let share = { (name: String) in Double(firsts[name] ?? 0) / Double(draws) }
        #expect(abs(share("a/1") - 0.1) < 0.02)
        #expect(abs(share("b/2") - 0.3) < 0.02)
        #expect(abs(share("c/3") - 0.6) < 0.02)
    }

    @Test mutating func weightedSecondPlaceIsDrawnWithoutReplacement() {
        // Given a/1 (weight 6) first, b/2 and c/3 (weights 1 and 3) share second place 1:3.
        let list = candidates(["a/1", "b/2", "c/3"], weights: [6, 1, 3])
        var seconds: [String: Int] = [:]
        var firsts = 0
        for _ in 0..<10_000 {
            let plan = order(.weighted, list)
            guard plan[0] == "a/1" else { continue }
            firsts += 1
            seconds[plan[1], default: 0] += 1
        }
        let cShare = Double(seconds["c/3"] ?? 0) / Double(firsts)
        #expect(abs(cShare - 0.75) < 0.03)
    }

    @Test mutating func zeroWeightTargetsComeLast() {
        let list = candidates(["a/1", "b/2", "c/3"], weights: [0, 1, 1])
        for _ in 0..<50 { #expect(order(.weighted, list).last == "a/1") }
    }

    @Test mutating func lowestLatencyTriesUnmeasuredFirstThenFastest() {
        var list = candidates(["slow/1", "new/2", "fast/3", "mid/4"])
        list[0].stats.recordTimeToFirstByte(.milliseconds(900))
        list[2].stats.recordTimeToFirstByte(.milliseconds(100))
        list[3].stats.recordTimeToFirstByte(.milliseconds(400))
        #expect(order(.lowestLatency, list) == ["new/2", "fast/3", "mid/4", "slow/1"])
    }

    @Test mutating func lowestCostOrdersByPriceUnknownLast() {
        var list = candidates(["dear/1", "unknown/2", "cheap/3", "free/4"])
        list[0].price = Price(input: 3, output: 15)
        list[2].price = Price(input: 0.1, output: 0.4)
        list[3].price = Price(input: 0, output: 0)
        #expect(order(.lowestCost, list) == ["free/4", "cheap/3", "dear/1", "unknown/2"])
    }

    @Test mutating func leastBusyOrdersByInFlightTiesByListOrder() {
        var list = candidates(["a/1", "b/2", "c/3", "d/4"])
        for _ in 0..<3 { list[0].stats.requestStarted() }
        list[1].stats.requestStarted()
        list[3].stats.requestStarted()
        #expect(order(.leastBusy, list) == ["c/3", "b/2", "d/4", "a/1"])
    }

    @Test mutating func allOpenTriesOnlyTheLeastRecentlyFailed() {
        var list = candidates(["a/1", "b/2", "c/3"])
        list[0].breaker.recordFailure(now: clock.at(seconds: 95))
        list[1].breaker.recordFailure(now: clock.at(seconds: 80))
        list[2].breaker.recordFailure(now: clock.at(seconds: 90))
        for strategy in RouteStrategy.allCases {
            var planner = RoutePlanner()
            let plan = planner.plan(strategy: strategy, candidates: list, now: clock.at(seconds: 100), using: &generator)
            #expect(plan == [PlannedAttempt(index: 1, target: list[1].target, isLastResort: true)])
        }
    }

    @Test mutating func aSingleCandidateIsPlannedAloneOpenOrNot() {
        var list = candidates(["a/1"])
        list[0].stats.recordFailure(message: "upstream_status_429", now: clock.at(seconds: 90), retryAfter: .seconds(20))
        for strategy in RouteStrategy.allCases {
            var planner = RoutePlanner()
            let plan = planner.plan(strategy: strategy, candidates: list, now: clock.at(seconds: 100), using: &generator)
            #expect(plan == [PlannedAttempt(index: 0, target: list[0].target)], "\(strategy): backing off, still the one to try")
            #expect(planner.roundRobinCounter == 1)
        }
        list[0].breaker.recordFailure(now: clock.at(seconds: 95))
        for strategy in RouteStrategy.allCases {
            var planner = RoutePlanner()
            let plan = planner.plan(strategy: strategy, candidates: list, now: clock.at(seconds: 100), using: &generator)
            #expect(plan == [PlannedAttempt(index: 0, target: list[0].target, isLastResort: true)], "\(strategy): open")
        }
    }

    @Test mutating func retryAfterTargetsMoveBehindTheRest() {
        var list = candidates(["a/1", "b/2", "c/3"])
        list[0].stats.recordFailure(message: "upstream_status_429", now: clock.at(seconds: 90), retryAfter: .seconds(20))
        #expect(order(.fallback, list, at: 100) == ["b/2", "c/3", "a/1"])
        #expect(order(.leastBusy, list, at: 100) == ["b/2", "c/3", "a/1"])
        // Once the upstream's wait is over, it takes its place again.
        #expect(order(.fallback, list, at: 110) == ["a/1", "b/2", "c/3"])
    }

    @Test mutating func plannedIndicesPointAtTheCandidates() {
        var list = candidates(["a/1", "b/2", "c/3"])
        list[0].breaker.recordFailure(now: clock.at(seconds: 95))
        var planner = RoutePlanner()
        let plan = planner.plan(strategy: .fallback, candidates: list, now: clock.at(seconds: 100), using: &generator)
        #expect(plan.map(\.index) == [1, 2])
        #expect(plan.allSatisfy { !$0.isLastResort })
        #expect(planner.plan(strategy: .fallback, candidates: [], now: clock.at(seconds: 100), using: &generator).isEmpty)
    }

    @Test func statsTrackLatencyEWMAAndCounters() {
        var stats = TargetStats()
        #expect(stats.latencyEWMA == nil)
        stats.recordTimeToFirstByte(.milliseconds(100))
        #expect(stats.latencyEWMA == .milliseconds(100))
        stats.recordTimeToFirstByte(.milliseconds(200))
        // 0.3 * 200 + 0.7 * 100
        #expect(stats.latencyEWMA == .milliseconds(130))
        stats.requestStarted()
        stats.requestStarted()
        stats.requestFinished()
        #expect(stats.inFlight == 1)
        #expect(stats.totalRequests == 2)
        stats.requestFinished()
        stats.requestFinished()
        #expect(stats.inFlight == 0)
        let now = clock.at(seconds: 5)
        stats.recordFailure(message: "upstream_timeout", now: now)
        #expect(stats.failures == 1)
        #expect(stats.lastError == "upstream_timeout")
        #expect(stats.lastErrorAt == now)
        #expect(!stats.isBackingOff(now: now))
        stats.recordFailure(message: "upstream_status_429", now: now, retryAfter: .seconds(10))
        stats.recordFailure(message: "upstream_status_429", now: now, retryAfter: .seconds(3))
        #expect(stats.retryAfterUntil == clock.at(seconds: 15))
    }
}
