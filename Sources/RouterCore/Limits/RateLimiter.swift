// GCRA (generic cell rate algorithm) for one limit: `limit` units per `period`, a burst of the
// whole allowance permitted. One stored instant per key, no timers, exact refill.
//
// Pure: time is `ContinuousClock.Instant`, passed in.

/// One rate limit (requests per minute or tokens per minute) for one key.
package struct RateLimiter: Sendable, Equatable {
    package typealias Instant = ContinuousClock.Instant

    package let limit: Int
    package let period: Duration
    /// The time one unit "occupies": `period / limit`.
    private let emissionInterval: Duration
    /// The theoretical arrival time: when all consumed units have drained. Nil when never used.
    private var theoreticalArrival: Instant?

    /// Nil for `limit <= 0`, which the config means as unlimited.
    package init?(limit: Int, period: Duration = .seconds(60)) {
        guard limit > 0, period > .zero else { return nil }
        self.limit = limit
        self.period = period
        self.emissionInterval = period / limit
    }

    /// What `check` would answer, without consuming anything.
    package func evaluate(cost: Int, now: Instant) -> LimitDecision {
        let base = max(theoreticalArrival ?? now, now)
        let cost = max(0, cost)
        let arrival = base + emissionInterval * cost
        let horizon = now + period
        if arrival <= horizon {
            return LimitDecision(
                allowed: true,
                limit: limit,
                remaining: units(in: arrival.duration(to: horizon)),
                resetAfter: now.duration(to: arrival))
        }
        return LimitDecision(
            allowed: false,
            limit: limit,
            remaining: units(in: base.duration(to: horizon)),
            resetAfter: now.duration(to: base),
            retryAfter: cost > limit ? nil : horizon.duration(to: arrival))
    }

    /// Consumes `cost` units if they fit; otherwise consumes nothing.
    package mutating func check(cost: Int, now: Instant) -> LimitDecision {
        let decision = evaluate(cost: cost, now: now)
        if decision.allowed { commit(cost: cost, now: now) }
        return decision
    }

    /// The current state for headers, consuming nothing.
    package func status(now: Instant) -> LimitDecision {
        evaluate(cost: 0, now: now)
    }

    /// Corrects an estimate after the fact (actual tokens known once the response ended):
    /// a positive `delta` is charged even beyond the limit (later requests wait it off), a
    /// negative one is refunded.
    package mutating func adjust(by delta: Int, now: Instant) {
        guard delta != 0 else { return }
        let base = max(theoreticalArrival ?? now, now)
        if delta > 0 {
            theoreticalArrival = base + emissionInterval * delta
        } else {
            theoreticalArrival = max(now, base - emissionInterval * -delta)
        }
    }

    /// Nothing is owed: the limiter is as good as new and its key may be dropped from memory.
    package func isIdle(now: Instant) -> Bool {
        guard let theoreticalArrival else { return true }
        return theoreticalArrival <= now
    }

    private mutating func commit(cost: Int, now: Instant) {
        theoreticalArrival = max(theoreticalArrival ?? now, now) + emissionInterval * max(0, cost)
    }

    /// Whole units that fit in `span`; the epsilon absorbs `period / limit` rounding.
    private func units(in span: Duration) -> Int {
        guard span > .zero else { return 0 }
        return min(limit, Int((span / emissionInterval + 1e-9).rounded(.down)))
    }
}
