import Testing

@testable import RouterCore

@Suite struct CircuitBreakerTests {
    let clock = RoutingFakeClock()

    private func breaker(threshold: Int = 3, cooldown: Duration = .seconds(30)) -> CircuitBreaker {
        CircuitBreaker(failureThreshold: threshold, cooldown: cooldown, probeTimeout: .seconds(60))
    }

    /// Fails `count` times at one-second steps starting at `start` seconds.
    private func fail(_ breaker: inout CircuitBreaker, count: Int, from start: Double = 0) {
        for step in 0..<count { breaker.recordFailure(now: clock.at(seconds: start + Double(step))) }
    }

    @Test func opensAtExactlyTheThreshold() {
        var breaker = breaker(threshold: 3)
        #expect(breaker.recordFailure(now: clock.at(seconds: 0)) == nil)
        #expect(breaker.recordFailure(now: clock.at(seconds: 1)) == nil)
        #expect(breaker.state == .closed)
        #expect(breaker.acquire(now: clock.at(seconds: 1)) == .allowed)
        #expect(breaker.recordFailure(now: clock.at(seconds: 2)) == .opened)
        #expect(breaker.state == .open)
        #expect(breaker.lastFailureAt == clock.at(seconds: 2))
        #expect(breaker.reopensAt == clock.at(seconds: 32))
    }

    @Test func successResetsTheConsecutiveCount() {
        var breaker = breaker(threshold: 3)
        fail(&breaker, count: 2)
        breaker.recordSuccess(now: clock.at(seconds: 3))
        #expect(breaker.consecutiveFailures == 0)
        fail(&breaker, count: 2, from: 4)
        #expect(breaker.state == .closed)
        breaker.recordFailure(now: clock.at(seconds: 7))
        #expect(breaker.state == .open)
    }

    @Test func openRejectsUntilTheCooldownEnds() {
        var breaker = breaker(threshold: 1, cooldown: .seconds(30))
        breaker.recordFailure(now: clock.at(seconds: 10))
        #expect(breaker.acquire(now: clock.at(seconds: 10)) == .rejected(retryAt: clock.at(seconds: 40)))
        #expect(breaker.acquire(now: clock.at(seconds: 39.999)) == .rejected(retryAt: clock.at(seconds: 40)))
        #expect(breaker.state(at: clock.at(seconds: 39.999)) == .open)
        #expect(breaker.state(at: clock.at(seconds: 40)) == .halfOpen)
        #expect(breaker.isAdmitting(now: clock.at(seconds: 40)))
    }

    @Test func halfOpenAdmitsExactlyOneProbe() {
        var breaker = breaker(threshold: 1, cooldown: .seconds(30))
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.peek(now: clock.at(seconds: 30)) == .probe)
        #expect(breaker.acquire(now: clock.at(seconds: 30)) == .probe)
        #expect(breaker.state == .halfOpen)
        // The probe is out: everyone else is turned away until it reports (or times out).
        #expect(breaker.acquire(now: clock.at(seconds: 31)) == .rejected(retryAt: clock.at(seconds: 90)))
        #expect(breaker.acquire(now: clock.at(seconds: 32)) == .rejected(retryAt: clock.at(seconds: 90)))
        #expect(!breaker.isAdmitting(now: clock.at(seconds: 33)))
    }

    @Test func probeSuccessCloses() {
        var breaker = breaker(threshold: 2)
        fail(&breaker, count: 2)
        #expect(breaker.acquire(now: clock.at(seconds: 40)) == .probe)
        #expect(breaker.recordSuccess(now: clock.at(seconds: 41)) == .closed)
        #expect(breaker.state == .closed)
        #expect(breaker.acquire(now: clock.at(seconds: 41)) == .allowed)
        #expect(breaker.acquire(now: clock.at(seconds: 41)) == .allowed)
        // The count starts from zero again.
        breaker.recordFailure(now: clock.at(seconds: 42))
        #expect(breaker.state == .closed)
    }

    @Test func probeFailureReopensWithAFreshCooldown() {
        var breaker = breaker(threshold: 1, cooldown: .seconds(30))
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.acquire(now: clock.at(seconds: 35)) == .probe)
        #expect(breaker.recordFailure(now: clock.at(seconds: 36)) == .opened)
        #expect(breaker.state == .open)
        #expect(breaker.acquire(now: clock.at(seconds: 60)) == .rejected(retryAt: clock.at(seconds: 66)))
        #expect(breaker.acquire(now: clock.at(seconds: 66)) == .probe)
    }

    @Test func releasedProbeIsHandedToTheNextRequest() {
        var breaker = breaker(threshold: 1)
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.acquire(now: clock.at(seconds: 30)) == .probe)
        breaker.releaseProbe()
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire(now: clock.at(seconds: 31)) == .probe)
    }

    @Test func lostProbeTimesOut() {
        var breaker = CircuitBreaker(failureThreshold: 1, cooldown: .seconds(30), probeTimeout: .seconds(10))
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.acquire(now: clock.at(seconds: 30)) == .probe)
        #expect(breaker.acquire(now: clock.at(seconds: 39)) == .rejected(retryAt: clock.at(seconds: 40)))
        #expect(breaker.acquire(now: clock.at(seconds: 40)) == .probe)
    }

    @Test func stragglerFailureWhileOpenDoesNotPostponeTheProbe() {
        var breaker = breaker(threshold: 1, cooldown: .seconds(30))
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.recordFailure(now: clock.at(seconds: 20)) == nil)
        #expect(breaker.lastFailureAt == clock.at(seconds: 20))
        #expect(breaker.acquire(now: clock.at(seconds: 30)) == .probe)
    }

    @Test func failingHealthChecksCountAsFailures() {
        var breaker = breaker(threshold: 3)
        breaker.recordHealthCheck(success: false, now: clock.at(seconds: 0))
        breaker.recordHealthCheck(success: false, now: clock.at(seconds: 30))
        #expect(breaker.state == .closed)
        #expect(breaker.recordHealthCheck(success: false, now: clock.at(seconds: 60)) == .opened)
        #expect(breaker.state == .open)
    }

    @Test func failingHealthCheckReopensAHalfOpenCircuit() {
        var breaker = breaker(threshold: 1)
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.acquire(now: clock.at(seconds: 30)) == .probe)
        #expect(breaker.recordHealthCheck(success: false, now: clock.at(seconds: 31)) == .opened)
        #expect(breaker.acquire(now: clock.at(seconds: 32)) == .rejected(retryAt: clock.at(seconds: 61)))
    }

    @Test func passingHealthCheckEndsTheCooldownEarly() {
        var breaker = breaker(threshold: 1, cooldown: .seconds(30))
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.recordHealthCheck(success: true, now: clock.at(seconds: 5)) == .halfOpened)
        #expect(breaker.state == .halfOpen)
        // Half-open, not closed: one real request still decides.
        #expect(breaker.acquire(now: clock.at(seconds: 5)) == .probe)
        #expect(breaker.acquire(now: clock.at(seconds: 5)) == .rejected(retryAt: clock.at(seconds: 65)))
    }

    @Test func passingHealthCheckLeavesClosedAndHalfOpenAlone() {
        var breaker = breaker(threshold: 3)
        fail(&breaker, count: 2)
        #expect(breaker.recordHealthCheck(success: true, now: clock.at(seconds: 3)) == nil)
        #expect(breaker.consecutiveFailures == 2)
        breaker.recordFailure(now: clock.at(seconds: 4))
        #expect(breaker.state == .open)
        #expect(breaker.acquire(now: clock.at(seconds: 40)) == .probe)
        #expect(breaker.recordHealthCheck(success: true, now: clock.at(seconds: 41)) == nil)
        #expect(breaker.acquire(now: clock.at(seconds: 41)) == .rejected(retryAt: clock.at(seconds: 100)))
    }

    @Test func lastResortSuccessWhileOpenCloses() {
        var breaker = breaker(threshold: 1)
        breaker.recordFailure(now: clock.at(seconds: 0))
        #expect(breaker.recordSuccess(now: clock.at(seconds: 5)) == .closed)
        #expect(breaker.acquire(now: clock.at(seconds: 5)) == .allowed)
    }

    @Test func buildsFromHealthSettings() {
        var health = HealthSettings()
        health.failureThreshold = 5
        health.cooldown = .seconds(12)
        let breaker = CircuitBreaker(health: health)
        #expect(breaker.failureThreshold == 5)
        #expect(breaker.cooldown == .seconds(12))
    }
}
