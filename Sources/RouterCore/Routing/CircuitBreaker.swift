// One target's circuit breaker (SPEC §5): closed -> open after `failureThreshold` consecutive
// failures -> half-open after `cooldown` -> one probe request closes or reopens it.
//
// A pure state machine: no clock reads, no locks, no I/O. Time is `ContinuousClock.Instant`,
// always passed in, so tests drive it with a fake "now" (`start + .seconds(n)`). The server keeps
// breakers inside a Mutex, calls an event, and acts on the returned value after unlocking.

/// Decides whether requests may go to one target right now.
package struct CircuitBreaker: Sendable, Equatable {
    package typealias Instant = ContinuousClock.Instant

    package enum State: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half-open"
    }

    /// The answer to "may I send a request to this target now?".
    package enum Admission: Sendable, Equatable {
        /// Circuit closed: send normally.
        case allowed
        /// Half-open: this request is the single probe; report its outcome (or `releaseProbe`).
        case probe
        /// Open, or half-open with the probe already out: skip this target.
        /// `retryAt` is when the circuit next admits a request.
        case rejected(retryAt: Instant)
    }

    /// A state change worth logging or counting; `nil` when the state did not change.
    package enum Transition: Sendable, Equatable {
        case opened
        case halfOpened
        case closed
    }

    package let failureThreshold: Int
    package let cooldown: Duration
    /// A probe that reports nothing for this long (a cancelled request that never reached
    /// `releaseProbe`) is presumed lost, and the next request becomes the probe instead.
    package let probeTimeout: Duration

    private enum Phase: Sendable, Equatable {
        case closed
        case open(since: Instant)
        /// `probeStartedAt` is nil while nobody holds the probe.
        case halfOpen(probeStartedAt: Instant?)
    }

    private var phase: Phase = .closed
    package private(set) var consecutiveFailures = 0
    package private(set) var lastFailureAt: Instant?
    package private(set) var lastSuccessAt: Instant?

    package init(failureThreshold: Int = 3, cooldown: Duration = .seconds(30), probeTimeout: Duration = .seconds(120)) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = cooldown
        self.probeTimeout = probeTimeout
    }

    /// `probeTimeout` should cover a provider's whole time to first byte; the caller passes the
    /// provider's `timeout` (or the server's request timeout) here.
    package init(health: HealthSettings, probeTimeout: Duration = .seconds(120)) {
        self.init(failureThreshold: health.failureThreshold, cooldown: health.cooldown, probeTimeout: probeTimeout)
    }

    /// The state as of the last event; an open circuit whose cooldown has passed still reads
    /// `.open` here. Use `state(at:)` for what a request arriving at `now` would see.
    package var state: State {
        switch phase {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }

    /// The state a request arriving at `now` would see (open turns half-open once the cooldown ends).
    package func state(at now: Instant) -> State {
        if case .open(let since) = phase, now >= since + cooldown { return .halfOpen }
        return state
    }

    /// When the open circuit turns half-open; nil unless open.
    package var reopensAt: Instant? {
        if case .open(let since) = phase { return since + cooldown }
        return nil
    }

    /// What `acquire(now:)` would answer, without taking the probe. The route planner uses this.
    package func peek(now: Instant) -> Admission {
        switch phase {
        case .closed:
            return .allowed
        case .open(let since):
            return now >= since + cooldown ? .probe : .rejected(retryAt: since + cooldown)
        case .halfOpen(let probeStartedAt):
            guard let probeStartedAt else { return .probe }
            let expiry = probeStartedAt + probeTimeout
            return now >= expiry ? .probe : .rejected(retryAt: expiry)
        }
    }

    /// Whether a request could be sent at `now` (closed, or a probe is available).
    package func isAdmitting(now: Instant) -> Bool {
        if case .rejected = peek(now: now) { return false }
        return true
    }

    /// Asks to send one request. A `.probe` answer hands this caller the single half-open probe.
    package mutating func acquire(now: Instant) -> Admission {
        let admission = peek(now: now)
        if admission == .probe { phase = .halfOpen(probeStartedAt: now) }
        return admission
    }

    /// The request succeeded. Any success closes the circuit: the upstream demonstrably answers,
    /// whether the request was the probe, a last-resort try while open, or one still in flight
    /// from before the circuit opened.
    @discardableResult
    package mutating func recordSuccess(now: Instant) -> Transition? {
        consecutiveFailures = 0
        lastSuccessAt = now
        if phase == .closed { return nil }
        phase = .closed
        return .closed
    }

    /// The request failed in a way that counts against the target (connect error, timeout,
    /// 408/429/5xx; not a client's own 4xx).
    @discardableResult
    package mutating func recordFailure(now: Instant) -> Transition? {
        consecutiveFailures += 1
        lastFailureAt = now
        switch phase {
        case .closed:
            guard consecutiveFailures >= failureThreshold else { return nil }
            phase = .open(since: now)
            return .opened
        case .open:
            // A straggler admitted before the circuit opened, or a last-resort try: the circuit is
            // already open; restarting the cooldown would let stragglers postpone the probe.
            return nil
        case .halfOpen:
            // The probe (or a request racing it) failed: reopen with a fresh cooldown.
            phase = .open(since: now)
            return .opened
        }
    }

    /// The probe ended without an outcome (client went away, request cancelled): hand the probe
    /// to the next request. Harmless when this caller's probe was already superseded.
    package mutating func releaseProbe() {
        if case .halfOpen = phase { phase = .halfOpen(probeStartedAt: nil) }
    }

    /// Feeds an active health check (one per provider, fanned out to its targets).
    ///
    /// A failing check counts like a failed request. A passing check does not close anything
    /// on its own, because a model listing succeeding says little about completions on one
    /// model: while open it ends the cooldown early (half-open, so the next real request is the
    /// probe); while closed or half-open it changes nothing and does not reset the failure count.
    @discardableResult
    package mutating func recordHealthCheck(success: Bool, now: Instant) -> Transition? {
        guard success else { return recordFailure(now: now) }
        guard case .open = phase else { return nil }
        phase = .halfOpen(probeStartedAt: nil)
        return .halfOpened
    }
}
