import Foundation
import RouterCore
import Synchronization
import Testing
@testable import RouterServer

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 += duration } }
}

@Suite("Routing state: breakers, probes, reloads, prices (injected clock)")
struct RoutingStateTests {
    let clock = ManualClock()
    let routing: RoutingState
    var configuration = Configuration()

    init() {
        let clock = self.clock
        routing = RoutingState(now: { clock.now })
        var fake = ProviderSettings(name: "a", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
        fake.models = ["m"]
        configuration.providers = [fake, ProviderSettings(name: "b", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")]
        configuration.health.failureThreshold = 2
        configuration.health.cooldown = .seconds(30)
        configuration.routes = [RouteSettings(name: "r", targets: [RouteTarget(target: "a/m"), RouteTarget(target: "b/m")])]
    }

    var route: RouteSettings { configuration.routes[0] }

    /// Plans, admits the first target and fails it with a 500.
    private func failFirst() {
        let plan = routing.plan(route: route, targets: route.targets, configuration: configuration)
        let ticket = routing.attemptStarted(plan[0], configuration: configuration)!
        routing.attemptFailed(ticket, failure: .status(500), message: "boom", retryAfter: nil)
        routing.attemptFinished(ticket)
    }

    private func planned() -> [String] {
        routing.plan(route: route, targets: route.targets, configuration: configuration).map(\.target.target)
    }

    private func circuit(_ target: String) -> CircuitBreaker.State? {
        routing.targetReports(configuration: configuration).values.flatMap { $0 }.first { $0.target == target }?.circuit
    }

    @Test func failuresOpenTheCircuitAndTheTargetLeavesThePlan() {
        #expect(planned() == ["a/m", "b/m"])
        failFirst()
        #expect(planned() == ["a/m", "b/m"])
        failFirst()
        #expect(circuit("a/m") == .open)
        #expect(planned() == ["b/m"])
        let report = routing.targetReports(configuration: configuration)["a"]!.first { $0.target == "a/m" }!
        #expect(report.stats.failures == 2)
        #expect(report.stats.lastError == "upstream_500: boom")
        #expect(report.reopensIn == .seconds(30))
    }

    @Test func halfOpenAdmitsOneProbeAndReleasesItWhenTheProbeReportsNothing() {
        failFirst()
        failFirst()
        clock.advance(.seconds(30))
        let plan = routing.plan(route: route, targets: route.targets, configuration: configuration)
        #expect(plan.map(\.target.target) == ["a/m", "b/m"])
        let probe = try! #require(routing.attemptStarted(plan[0], configuration: configuration))
        #expect(probe.isProbe)
        // A second request planned before the probe was taken is turned away at admission...
        #expect(routing.attemptStarted(plan[0], configuration: configuration) == nil)
        // ...unless nothing else was tried, so no request fails without a try.
        let forced = try! #require(routing.attemptStarted(plan[0], configuration: configuration, mustSend: true))
        #expect(!forced.isProbe)
        routing.attemptFinished(forced)
        // Later plans skip the target while the probe is out.
        #expect(planned() == ["b/m"])
        // The client went away: the probe is handed to the next request.
        routing.attemptFinished(probe)
        #expect(planned() == ["a/m", "b/m"])
        let next = try! #require(routing.attemptStarted(plan[0], configuration: configuration))
        #expect(next.isProbe)
        routing.attemptSucceeded(next)
        routing.attemptFinished(next)
        #expect(circuit("a/m") == .closed)
        #expect(routing.attemptStarted(plan[0], configuration: configuration)?.isProbe == false)
    }

    @Test func aFailedProbeReopensForAnotherCooldown() {
        failFirst()
        failFirst()
        clock.advance(.seconds(31))
        failFirst()
        #expect(circuit("a/m") == .open)
        clock.advance(.seconds(29))
        #expect(planned() == ["b/m"])
        clock.advance(.seconds(1))
        #expect(planned() == ["a/m", "b/m"])
    }

    @Test func allOpenTriesTheLeastRecentlyFailed() {
        for target in ["a/m", "b/m"] {
            for _ in 0..<2 {
                let attempt = PlannedAttempt(index: 0, target: RouteTarget(target: target))
                let ticket = routing.attemptStarted(attempt, configuration: configuration)!
                routing.attemptFailed(ticket, failure: .connect, message: "refused", retryAfter: nil)
                routing.attemptFinished(ticket)
                clock.advance(.seconds(1))
            }
        }
        let plan = routing.plan(route: route, targets: route.targets, configuration: configuration)
        #expect(plan.count == 1)
        #expect(plan[0].target.target == "a/m")
        #expect(plan[0].isLastResort)
        // The last resort is sent although its circuit is open.
        let ticket = try! #require(routing.attemptStarted(plan[0], configuration: configuration))
        routing.attemptFailed(ticket, failure: .connect, message: "refused", retryAfter: nil)
        routing.attemptFinished(ticket)
        #expect(routing.plan(route: route, targets: route.targets, configuration: configuration).map(\.target.target) == ["b/m"])
    }

    @Test func clientErrorsDoNotCountAgainstTheTarget() {
        for _ in 0..<5 {
            let plan = routing.plan(route: route, targets: route.targets, configuration: configuration)
            let ticket = routing.attemptStarted(plan[0], configuration: configuration)!
            routing.attemptFailed(ticket, failure: .status(400), message: "bad", retryAfter: nil)
            routing.attemptFinished(ticket)
        }
        #expect(circuit("a/m") == .closed)
    }

    @Test func retryAfterMovesATargetBehindUntilItPasses() {
        let plan = routing.plan(route: route, targets: route.targets, configuration: configuration)
        let ticket = routing.attemptStarted(plan[0], configuration: configuration)!
        routing.attemptFailed(ticket, failure: .status(429), message: "slow down", retryAfter: .seconds(7))
        routing.attemptFinished(ticket)
        #expect(planned() == ["b/m", "a/m"])
        clock.advance(.seconds(7))
        #expect(planned() == ["a/m", "b/m"])
    }

    @Test func inFlightCountsAndLatencyFeedTheirStrategies() {
        var busy = configuration
        busy.routes[0].strategy = .leastBusy
        let route = busy.routes[0]
        let first = routing.plan(route: route, targets: route.targets, configuration: busy)
        let ticket = routing.attemptStarted(first[0], configuration: busy)!
        #expect(routing.plan(route: route, targets: route.targets, configuration: busy).map(\.target.target) == ["b/m", "a/m"])
        routing.attemptFinished(ticket)
        #expect(routing.plan(route: route, targets: route.targets, configuration: busy).map(\.target.target) == ["a/m", "b/m"])

        var fast = configuration
        fast.routes[0].strategy = .lowestLatency
        for (target, latency) in [("a/m", Duration.milliseconds(300)), ("b/m", .milliseconds(20))] {
            let ticket = routing.attemptStarted(PlannedAttempt(index: 0, target: RouteTarget(target: target)), configuration: fast)!
            routing.attemptResponded(ticket, timeToFirstByte: latency)
            routing.attemptSucceeded(ticket)
            routing.attemptFinished(ticket)
        }
        #expect(routing.plan(route: fast.routes[0], targets: fast.routes[0].targets, configuration: fast).map(\.target.target) == ["b/m", "a/m"])
        let report = routing.targetReports(configuration: fast)["b"]!.first { $0.target == "b/m" }!
        #expect(report.stats.latencyEWMA == .milliseconds(20))
    }

    @Test func lowestCostUsesOverridesAndTheBuiltInTable() throws {
        var cheap = configuration
        cheap.routes = [
            RouteSettings(
                name: "cheap", strategy: .lowestCost,
                targets: [RouteTarget(target: "a/gpt-4.1"), RouteTarget(target: "b/gpt-4.1-mini"), RouteTarget(target: "a/unknown")])
        ]
        let route = cheap.routes[0]
        #expect(
            routing.plan(route: route, targets: route.targets, configuration: cheap).map(\.target.target)
                == ["b/gpt-4.1-mini", "a/gpt-4.1", "a/unknown"])
        cheap.pricing["a/gpt-4.1"] = Price(input: 0.01, output: 0.01)
        #expect(
            routing.plan(route: route, targets: route.targets, configuration: cheap).map(\.target.target)
                == ["a/gpt-4.1", "b/gpt-4.1-mini", "a/unknown"])
        let table = PriceTable(configuration: cheap)
        let price = try #require(table.price(provider: "b", model: "gpt-4.1-mini"))
        #expect(abs(table.cost(price: price, inputTokens: 1_000_000, outputTokens: 500_000) - 1.2) < 1e-12)
        #expect(table.price(provider: "a", model: "unknown") == nil)
    }

    @Test func stateSurvivesAReloadAndNewHealthSettingsStartTheBreakerAfresh() {
        failFirst()
        failFirst()
        var reloaded = configuration
        reloaded.routes.append(RouteSettings(name: "other", targets: [RouteTarget(target: "a/m")]))
        #expect(routing.plan(route: reloaded.routes[0], targets: reloaded.routes[0].targets, configuration: reloaded).map(\.target.target) == ["b/m"])

        reloaded.health.cooldown = .seconds(5)
        #expect(circuit("a/m") == .open)
        #expect(routing.plan(route: reloaded.routes[0], targets: reloaded.routes[0].targets, configuration: reloaded).count == 2)
        let report = routing.targetReports(configuration: reloaded)["a"]!.first { $0.target == "a/m" }!
        #expect(report.circuit == .closed)
        #expect(report.stats.failures == 2)
    }

    @Test func roundRobinRotatesPerRouteName() {
        var robin = configuration
        robin.routes[0].strategy = .roundRobin
        let route = robin.routes[0]
        let firsts = (0..<4).map { _ in routing.plan(route: route, targets: route.targets, configuration: robin)[0].target.target }
        #expect(firsts == ["a/m", "b/m", "a/m", "b/m"])
    }

    @Test func planIsCappedAtRetryAttempts() {
        var capped = configuration
        capped.retry.attempts = 1
        #expect(routing.plan(route: route, targets: route.targets, configuration: capped).count == 1)
    }

    @Test func healthChecksFeedEveryTargetOfTheProvider() {
        let failed = ProviderHealthCheck(checkedAt: Date(), isHealthy: false, latency: nil, error: "connection refused")
        routing.recordHealthCheck(provider: "a", result: failed, configuration: configuration)
        let transitions = routing.recordHealthCheck(provider: "a", result: failed, configuration: configuration)
        #expect(transitions.map(\.target) == ["a/m"])
        #expect(circuit("a/m") == .open)
        #expect(circuit("b/m") == .closed)
        #expect(routing.lastHealthCheck(provider: "a")?.error == "connection refused")
        // A passing check ends the cooldown early: the next request is the probe.
        routing.recordHealthCheck(provider: "a", result: .init(checkedAt: Date(), isHealthy: true, latency: .milliseconds(3)), configuration: configuration)
        #expect(circuit("a/m") == .halfOpen)
    }

    @Test func unnamedTargetsAreForgottenPastTheCap() {
        for index in 0..<(RoutingState.maximumTrackedTargets + 10) {
            let ticket = routing.attemptStarted(PlannedAttempt(index: 0, target: RouteTarget(target: "b/model-\(index)")), configuration: configuration)!
            routing.attemptSucceeded(ticket)
            routing.attemptFinished(ticket)
        }
        let tracked = routing.targetReports(configuration: configuration)["b"]!.count
        #expect(tracked <= RoutingState.maximumTrackedTargets)
        #expect(tracked > RoutingState.maximumTrackedTargets / 2)
    }
}
