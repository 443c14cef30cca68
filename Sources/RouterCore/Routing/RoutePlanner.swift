// Orders a route's targets for one request (SPEC §5). Pure: the server copies each target's
// breaker, stats and price under its lock into `RouteCandidate`s, asks for a plan, unlocks,
// and then walks the plan calling `CircuitBreaker.acquire` per attempt.

/// One target of a route as the planner sees it at planning time.
package struct RouteCandidate: Sendable, Equatable {
    package var target: RouteTarget
    package var breaker: CircuitBreaker
    package var stats: TargetStats
    /// USD per million tokens; nil when unknown.
    package var price: Price?

    package init(target: RouteTarget, breaker: CircuitBreaker, stats: TargetStats = TargetStats(), price: Price? = nil) {
        self.target = target
        self.breaker = breaker
        self.stats = stats
        self.price = price
    }
}

/// One entry of a plan: try `target` (the candidate at `index`).
package struct PlannedAttempt: Sendable, Equatable {
    /// Position in the candidates passed to `plan`.
    package var index: Int
    package var target: RouteTarget
    /// Every target's circuit was open: this is the least recently failed one, tried so the
    /// request never fails without a try. The caller sends it without `acquire` (which would
    /// reject it) and records the outcome as usual; a success closes that circuit.
    package var isLastResort: Bool

    package init(index: Int, target: RouteTarget, isLastResort: Bool = false) {
        self.index = index
        self.target = target
        self.isLastResort = isLastResort
    }
}

/// Per-route planner; keep one per route so round-robin rotates per route.
package struct RoutePlanner: Sendable, Equatable {
    package typealias Instant = ContinuousClock.Instant

    /// Advances once per `plan` call; round-robin starts at `counter % admitted.count`.
    package private(set) var roundRobinCounter: UInt64

    package init(roundRobinCounter: UInt64 = 0) {
        self.roundRobinCounter = roundRobinCounter
    }

    /// The targets to try, best first. The caller takes at most `retry.attempts` of them.
    ///
    /// Admitted targets (closed, or half-open with the probe free) are ordered by `strategy`;
    /// those the upstream told to back off (`Retry-After` still in the future) then move behind
    /// the rest, keeping their relative order. If no target is admitted, the plan is the single
    /// least recently failed target, marked `isLastResort`.
    package mutating func plan<Generator: RandomNumberGenerator>(
        strategy: RouteStrategy,
        candidates: [RouteCandidate],
        now: Instant,
        using generator: inout Generator
    ) -> [PlannedAttempt] {
        let counter = roundRobinCounter
        roundRobinCounter &+= 1

        // One candidate (every `provider/model` request): nothing to order, and what `order`
        // and the filters below would make of it, without their arrays.
        if candidates.count == 1 {
            let isLastResort = !candidates[0].breaker.isAdmitting(now: now)
            return [PlannedAttempt(index: 0, target: candidates[0].target, isLastResort: isLastResort)]
        }

        let admitted = candidates.indices.filter { candidates[$0].breaker.isAdmitting(now: now) }
        guard !admitted.isEmpty else {
            return lastResort(candidates: candidates).map {
                [PlannedAttempt(index: $0, target: candidates[$0].target, isLastResort: true)]
            } ?? []
        }

        let ordered = Self.order(
            admitted, strategy: strategy, candidates: candidates, counter: counter, generator: &generator)
        let ready = ordered.filter { !candidates[$0].stats.isBackingOff(now: now) }
        let backingOff = ordered.filter { candidates[$0].stats.isBackingOff(now: now) }
        return (ready + backingOff).map { PlannedAttempt(index: $0, target: candidates[$0].target) }
    }

    /// The target whose last failure is oldest; a target that never failed counts as oldest.
    /// Ties go to list order.
    private func lastResort(candidates: [RouteCandidate]) -> Int? {
        candidates.indices.min { left, right in
            switch (candidates[left].breaker.lastFailureAt, candidates[right].breaker.lastFailureAt) {
            case (nil, nil): false
            case (nil, _): true
            case (_, nil): false
            case (let leftAt?, let rightAt?): leftAt < rightAt
            }
        }
    }

    private static func order<Generator: RandomNumberGenerator>(
        _ indices: [Int],
        strategy: RouteStrategy,
        candidates: [RouteCandidate],
        counter: UInt64,
        generator: inout Generator
    ) -> [Int] {
        switch strategy {
        case .fallback:
            return indices
        case .roundRobin:
            let start = Int(counter % UInt64(indices.count))
            return Array(indices[start...] + indices[..<start])
        case .weighted:
            return weightedOrder(indices, candidates: candidates, generator: &generator)
        case .lowestLatency:
            // Unmeasured targets first, so every target gets a latency before the fastest wins outright.
            return stableSorted(indices) { candidates[$0].stats.latencyEWMASeconds ?? -1 }
        case .lowestCost:
            // input + output per million as the one comparable number; unknown prices last.
            return stableSorted(indices) { index in
                candidates[index].price.map { $0.input + $0.output } ?? .infinity
            }
        case .leastBusy:
            return stableSorted(indices) { Double(candidates[$0].stats.inFlight) }
        }
    }

    /// Sorts by `key` ascending, ties keeping list order (Swift's `sort` is not guaranteed stable).
    private static func stableSorted(_ indices: [Int], by key: (Int) -> Double) -> [Int] {
        indices.enumerated()
            .sorted { left, right in
                let (leftKey, rightKey) = (key(left.element), key(right.element))
                return leftKey != rightKey ? leftKey < rightKey : left.offset < right.offset
            }
            .map(\.element)
    }

    /// Weighted random order without replacement: draw one target with probability
    /// proportional to its weight, remove it, repeat. Zero-weight targets come last, in list order.
    private static func weightedOrder<Generator: RandomNumberGenerator>(
        _ indices: [Int],
        candidates: [RouteCandidate],
        generator: inout Generator
    ) -> [Int] {
        // A non-finite weight would make the draw trap; config validation should refuse it anyway.
        func isDrawable(_ index: Int) -> Bool {
            let weight = candidates[index].target.weight
            return weight > 0 && weight.isFinite
        }
        var pool = indices.filter(isDrawable)
        let zeroWeight = indices.filter { !isDrawable($0) }
        var result: [Int] = []
        result.reserveCapacity(indices.count)
        while !pool.isEmpty {
            let total = pool.reduce(0) { $0 + candidates[$1].target.weight }
            var draw = Double.random(in: 0..<total, using: &generator)
            var chosen = pool.count - 1
            for (position, index) in pool.enumerated() {
                draw -= candidates[index].target.weight
                if draw < 0 {
                    chosen = position
                    break
                }
            }
            result.append(pool.remove(at: chosen))
        }
        return result + zeroWeight
    }
}
