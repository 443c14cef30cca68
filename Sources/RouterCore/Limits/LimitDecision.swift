// The outcome of one rate-limit check, with what the response headers need.

/// One limit's answer (requests or tokens), enough for OpenAI's `x-ratelimit-*` headers.
package struct LimitDecision: Sendable, Equatable {
    package var allowed: Bool
    /// The configured limit per period.
    package var limit: Int
    /// What is left after this request (it counts the current request when allowed).
    package var remaining: Int
    /// Until the limit is back to its full allowance.
    package var resetAfter: Duration
    /// When rejected: until this same cost would be allowed. Nil when allowed, and also when
    /// the cost exceeds the whole limit, which no wait can fix.
    package var retryAfter: Duration?

    package init(allowed: Bool, limit: Int, remaining: Int, resetAfter: Duration, retryAfter: Duration? = nil) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetAfter = resetAfter
        self.retryAfter = retryAfter
    }

    /// Rejected because the cost alone exceeds the limit (e.g. a prompt larger than the TPM).
    package var exceedsLimit: Bool { !allowed && retryAfter == nil }

    /// `Retry-After` seconds: rounded up, at least 1 when there is anything to wait for.
    package static func retryAfterSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    /// OpenAI's reset format, Go `time.Duration` style: `17ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`.
    package static func formatReset(_ duration: Duration) -> String {
        // Integer parts: dividing Durations goes through Double and can land a hair above a whole millisecond.
        let (wholeSeconds, attoseconds) = duration.components
        guard wholeSeconds >= 0 else { return "0s" }
        let partial = attoseconds / 1_000_000_000_000_000 + (attoseconds % 1_000_000_000_000_000 > 0 ? 1 : 0)
        let totalMilliseconds = wholeSeconds * 1000 + partial
        if totalMilliseconds == 0 { return "0s" }
        if totalMilliseconds < 1000 { return "\(totalMilliseconds)ms" }
        let hours = totalMilliseconds / 3_600_000
        let minutes = totalMilliseconds / 60_000 % 60
        let milliseconds = totalMilliseconds % 60_000
        var seconds = "\(milliseconds / 1000)"
        if milliseconds % 1000 != 0 {
            var fraction = String(milliseconds % 1000)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            seconds += ".\(fraction)"
        }
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
