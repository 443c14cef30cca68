import Foundation
import RouterCore
import Synchronization

/// Live routing state shared by all requests (SPEC §5): a circuit breaker and stats per target,
/// keyed by `provider/model`, a planner per route name, and each provider's last health check.
/// Keys are names, not config objects, so everything survives a config reload.
///
/// Every method takes the lock once, runs a pure state-machine step from RouterCore/Routing, and
/// returns; nothing awaits inside the lock.
package final class RoutingState: Sendable {
    package typealias Instant = ContinuousClock.Instant

    /// Past this many targets, idle and healthy ones that no config names are forgotten, so
    /// clients asking for ever new `provider/model` names cannot grow the state without bound.
    static let maximumTrackedTargets = 4096

    private let now: @Sendable () -> Instant
    private let state = Mutex(State())

    /// `now` is injectable so tests can step through cooldowns without sleeping.
    package init(now: @escaping @Sendable () -> Instant = { ContinuousClock.now }) {
        self.now = now
    }

    // MARK: The attempt loop

    /// The targets to try for one request, best first, at most `retry.attempts` of them.
    /// Admitted targets are ordered by the route's strategy; when every circuit is open the plan is
    /// the least recently failed target, marked `isLastResort`.
    package func plan(route: RouteSettings?, targets: [RouteTarget], configuration: Configuration) -> [PlannedAttempt] {
        let now = now()
        let strategy = route?.strategy ?? .fallback
        let limit = max(1, configuration.retry.attempts)
        return state.withLock { state in
            let prices = strategy == .lowestCost ? state.priceTable(for: configuration) : nil
            let candidates = targets.map { target in
                let entry = state.entry(target.target, configuration: configuration, now: now)
                return RouteCandidate(
                    target: target, breaker: entry.breaker, stats: entry.stats,
                    price: prices?.price(provider: target.providerName, model: target.model))
            }
            var generator = SystemRandomNumberGenerator()
            guard let route else {
                var planner = RoutePlanner()
                return Array(planner.plan(strategy: strategy, candidates: candidates, now: now, using: &generator).prefix(limit))
            }
            var planner = state.planners[route.name] ?? RoutePlanner()
            let plan = planner.plan(strategy: strategy, candidates: candidates, now: now, using: &generator)
            state.planners[route.name] = planner
            return Array(plan.prefix(limit))
        }
    }

    /// Asks the target's breaker to let one request through. Nil means the circuit turned the
    /// request away since planning (another request took the half-open probe): skip the target.
    /// A last-resort attempt, or one the caller must send because nothing else was tried
    /// (`mustSend`), goes through anyway.
    package func attemptStarted(_ attempt: PlannedAttempt, configuration: Configuration, mustSend: Bool = false) -> AttemptTicket? {
        let now = now()
        return state.withLock { state in
            let entry = state.entry(attempt.target.target, configuration: configuration, now: now)
            var isProbe = false
            switch entry.breaker.acquire(now: now) {
            case .allowed: break
            case .probe: isProbe = true
            case .rejected: guard attempt.isLastResort || mustSend else { return nil }
            }
            state.nextTicket &+= 1
            let ticket = AttemptTicket(target: attempt.target, id: state.nextTicket, isProbe: isProbe, entry: entry)
            if isProbe { entry.probeHolder = ticket.id }
            entry.stats.requestStarted()
            entry.lastUsed = now
            return ticket
        }
    }

    /// The upstream's response head arrived `timeToFirstByte` after the request was sent.
    package func attemptResponded(_ ticket: AttemptTicket, timeToFirstByte: Duration) {
        state.withLock { _ in ticket.entry.stats.recordTimeToFirstByte(timeToFirstByte) }
    }

    /// The upstream answered usably: a whole 2xx answer or stream, or a 4xx that is the client's fault.
    package func attemptSucceeded(_ ticket: AttemptTicket) {
        let now = now()
        state.withLock { _ in
            let entry = ticket.entry
            entry.breaker.recordSuccess(now: now)
            if entry.probeHolder == ticket.id { entry.probeHolder = nil }
        }
    }

    /// The attempt failed. Failures that say something about the target (connect errors, timeouts,
    /// 408, 429, 5xx, streams cut short) count against its breaker; `retryAfter` makes the planner
    /// put it behind the others until then.
    package func attemptFailed(_ ticket: AttemptTicket, failure: UpstreamFailure, message: String, retryAfter: Duration?) {
        let now = now()
        let description = Self.describe(failure, message)
        state.withLock { _ in
            let entry = ticket.entry
            if failure.countsAgainstTarget { entry.breaker.recordFailure(now: now) }
            entry.stats.recordFailure(message: description, now: now, retryAfter: retryAfter)
            if entry.probeHolder == ticket.id { entry.probeHolder = nil }
        }
    }

    /// The attempt is over, whatever its outcome (cancellation included): in-flight accounting, and a
    /// probe that reported nothing is handed to the next request.
    package func attemptFinished(_ ticket: AttemptTicket) {
        state.withLock { _ in
            let entry = ticket.entry
            entry.stats.requestFinished()
            if entry.probeHolder == ticket.id {
                entry.breaker.releaseProbe()
                entry.probeHolder = nil
            }
        }
    }

    // MARK: Health checks

    /// Records a provider's active health check and feeds it to the breaker of each of its targets
    /// (those the config names and those requests have used). Returns the targets whose circuit
    /// changed state.
    @discardableResult
    package func recordHealthCheck(
        provider: String, result: ProviderHealthCheck, configuration: Configuration
    ) -> [(target: String, transition: CircuitBreaker.Transition)] {
        let now = now()
        return state.withLock { state in
            state.providers[provider] = result
            var transitions: [(String, CircuitBreaker.Transition)] = []
            for target in state.targetNames(of: provider, configuration: configuration) {
                let entry = state.entry(target, configuration: configuration, now: now)
                if let transition = entry.breaker.recordHealthCheck(success: result.isHealthy, now: now) {
                    transitions.append((target, transition))
                }
            }
            return transitions
        }
    }

    /// The last health check of a provider, if any ran.
    package func lastHealthCheck(provider: String) -> ProviderHealthCheck? {
        state.withLock { $0.providers[provider] }
    }

    // MARK: Reporting

    /// What `/health/providers` shows of each target: copies taken under the lock.
    package func targetReports(configuration: Configuration) -> [String: [TargetReport]] {
        let now = now()
        return state.withLock { state in
            var reports: [String: [TargetReport]] = [:]
            for provider in configuration.providers {
                reports[provider.name] = state.targetNames(of: provider.name, configuration: configuration).map { name in
                    let entry = state.targets[name]
                    return TargetReport(
                        target: name,
                        circuit: entry?.breaker.state(at: now) ?? .closed,
                        consecutiveFailures: entry?.breaker.consecutiveFailures ?? 0,
                        reopensIn: entry?.breaker.reopensAt.flatMap { $0 > now ? $0 - now : nil },
                        stats: entry?.stats ?? TargetStats(),
                        lastErrorAge: entry?.stats.lastErrorAt.map { now - $0 },
                        backingOffFor: entry?.stats.retryAfterUntil.flatMap { $0 > now ? $0 - now : nil }
                    )
                }
            }
            return reports
        }
    }

    private static func describe(_ failure: UpstreamFailure, _ message: String) -> String {
        let text = message.count > 200 ? String(message.prefix(200)) + "…" : message
        return text.isEmpty ? failure.errorClass : "\(failure.errorClass): \(text)"
    }
}

/// One attempt admitted by a target's breaker; hand it back to every `attempt…` call.
package struct AttemptTicket: Sendable, Equatable {
    package let target: RouteTarget
    let id: UInt64
    /// This attempt is the half-open circuit's single probe.
    package let isProbe: Bool
    /// The target's entry, for the calls that report on this attempt.
    fileprivate let entry: RoutingState.TargetEntry

    package static func == (lhs: AttemptTicket, rhs: AttemptTicket) -> Bool {
        lhs.id == rhs.id && lhs.target == rhs.target && lhs.isProbe == rhs.isProbe && lhs.entry === rhs.entry
    }
}

/// The outcome of one active health check of a provider.
package struct ProviderHealthCheck: Sendable, Equatable {
    package var checkedAt: Date
    package var isHealthy: Bool
    package var latency: Duration?
    /// Secret-free: a status line or an error class, never an upstream key.
    package var error: String?
    /// A short note when healthy but not fully checked (no model listing at this provider).
    package var note: String?

    package init(checkedAt: Date, isHealthy: Bool, latency: Duration?, error: String? = nil, note: String? = nil) {
        self.checkedAt = checkedAt
        self.isHealthy = isHealthy
        self.latency = latency
        self.error = error
        self.note = note
    }
}

/// One target as `/health/providers` and `localrouter status` show it.
package struct TargetReport: Sendable {
    package var target: String
    package var circuit: CircuitBreaker.State
    package var consecutiveFailures: Int
    /// Time left until an open circuit admits its probe.
    package var reopensIn: Duration?
    package var stats: TargetStats
    package var lastErrorAge: Duration?
    /// Time left of the upstream's `Retry-After`.
    package var backingOffFor: Duration?
}

extension RoutingState {
    /// A target's breaker and stats. A class, so that a ticket reaches its target's entry again
    /// without hashing the target's name (three lookups a request); read and changed only under
    /// `RoutingState`'s lock. An entry is forgotten only with nothing in flight, so no live ticket
    /// holds one that is gone.
    fileprivate final class TargetEntry: @unchecked Sendable {
        var breaker: CircuitBreaker
        var stats = TargetStats()
        /// The ticket holding the half-open probe, so only its own attempt releases it.
        var probeHolder: UInt64?
        var lastUsed: Instant

        init(breaker: CircuitBreaker, lastUsed: Instant) {
            self.breaker = breaker
            self.lastUsed = lastUsed
        }
    }

    fileprivate struct State {
        var targets: [String: TargetEntry] = [:]
        var planners: [String: RoutePlanner] = [:]
        var providers: [String: ProviderHealthCheck] = [:]
        var nextTicket: UInt64 = 0
        var prices: PriceTable?

        /// A half-open probe may run this much longer than a request before its slot is freed.
        static let probeGrace = Duration.seconds(5)

        /// The target's entry, created on first use. A reload that changes `health:` settings
        /// starts the target's breaker afresh (its stats stay); otherwise state carries over.
        mutating func entry(_ target: String, configuration: Configuration, now: Instant) -> TargetEntry {
            let health = configuration.health
            let probeTimeout = configuration.server.requestTimeout + Self.probeGrace
            if let entry = targets[target] {
                let breaker = entry.breaker
                if breaker.failureThreshold != max(1, health.failureThreshold) || breaker.cooldown != health.cooldown
                    || breaker.probeTimeout != probeTimeout
                {
                    entry.breaker = CircuitBreaker(health: health, probeTimeout: probeTimeout)
                    entry.probeHolder = nil
                }
                return entry
            }
            pruneIfNeeded(configuration: configuration)
            let entry = TargetEntry(breaker: CircuitBreaker(health: health, probeTimeout: probeTimeout), lastUsed: now)
            targets[target] = entry
            return entry
        }

        /// The provider's targets worth tracking: those its routes and `models:` list name, then
        /// any that requests or checks have used, in name order.
        func targetNames(of provider: String, configuration: Configuration) -> [String] {
            var names: [String] = []
            var seen: Set<String> = []
            func add(_ name: String) {
                if seen.insert(name).inserted { names.append(name) }
            }
            for route in configuration.routes {
                for target in route.targets where target.providerName == provider { add(target.target) }
            }
            for model in configuration.provider(named: provider)?.models ?? [] { add("\(provider)/\(model)") }
            let prefix = provider + "/"
            for name in targets.keys.sorted() where name.hasPrefix(prefix) { add(name) }
            return names
        }

        mutating func priceTable(for configuration: Configuration) -> PriceTable {
            if let prices, prices.matches(configuration) { return prices }
            let table = PriceTable(configuration: configuration)
            prices = table
            return table
        }

        private mutating func pruneIfNeeded(configuration: Configuration) {
            guard targets.count >= RoutingState.maximumTrackedTargets else { return }
            var named: Set<String> = []
            for route in configuration.routes { for target in route.targets { named.insert(target.target) } }
            for provider in configuration.providers {
                for model in provider.models ?? [] { named.insert("\(provider.name)/\(model)") }
            }
            let forgettable = targets.filter { name, entry in
                !named.contains(name) && entry.stats.inFlight == 0 && entry.breaker.state == .closed
            }
            // Oldest first, down to three quarters of the cap so pruning does not run on every new name.
            let excess = targets.count - RoutingState.maximumTrackedTargets * 3 / 4
            for (name, _) in forgettable.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }).prefix(max(0, excess)) {
                targets[name] = nil
            }
        }
    }
}
