// Per-target counters the planner orders by and `/health/providers` shows. Pure value;
// time is `ContinuousClock.Instant`, passed in.

/// What the router has observed about one `provider/model` target.
package struct TargetStats: Sendable, Equatable {
    package typealias Instant = ContinuousClock.Instant

    /// Weight of the newest time-to-first-byte sample. 0.3 follows a change within a handful of
    /// requests while one slow outlier moves the average by less than a third.
    package static let latencySmoothing = 0.3

    /// EWMA of time to first byte, in seconds; nil until the first successful response.
    package private(set) var latencyEWMASeconds: Double?
    package private(set) var inFlight = 0
    package private(set) var totalRequests = 0
    package private(set) var failures = 0
    /// A short, secret-free description of the last failure (an error class or status line).
    package private(set) var lastError: String?
    package private(set) var lastErrorAt: Instant?
    /// The upstream asked us (429/503 with `Retry-After`) to stay away until then. The planner
    /// moves such targets behind the others while this lies in the future.
    package private(set) var retryAfterUntil: Instant?

    package init() {}

    package var latencyEWMA: Duration? {
        latencyEWMASeconds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
    }

    /// A request to this target is about to be sent.
    package mutating func requestStarted() {
        inFlight += 1
        totalRequests += 1
    }

    /// The request is over (any outcome, including cancellation). Pair with `requestStarted`.
    package mutating func requestFinished() {
        inFlight = max(0, inFlight - 1)
    }

    /// The first byte of a successful response arrived `latency` after the request was sent.
    package mutating func recordTimeToFirstByte(_ latency: Duration) {
        let sample = latency / .seconds(1)
        if let previous = latencyEWMASeconds {
            latencyEWMASeconds = Self.latencySmoothing * sample + (1 - Self.latencySmoothing) * previous
        } else {
            latencyEWMASeconds = sample
        }
    }

    /// The request failed. `retryAfter` is the upstream's `Retry-After`, when it sent one.
    package mutating func recordFailure(message: String, now: Instant, retryAfter: Duration? = nil) {
        failures += 1
        lastError = message
        lastErrorAt = now
        if let retryAfter, retryAfter > .zero {
            let until = now + retryAfter
            retryAfterUntil = max(retryAfterUntil ?? until, until)
        }
    }

    /// Whether the upstream's `Retry-After` still asks us to wait at `now`.
    package func isBackingOff(now: Instant) -> Bool {
        guard let retryAfterUntil else { return false }
        return retryAfterUntil > now
    }
}
