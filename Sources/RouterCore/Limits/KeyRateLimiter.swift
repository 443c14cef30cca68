// A key's requests-per-minute and tokens-per-minute limits checked together, so a request
// rejected by one limit consumes nothing from the other.

/// Both per-minute limits of one API key; a nil limiter means unlimited.
package struct KeyRateLimiter: Sendable, Equatable {
    package typealias Instant = ContinuousClock.Instant

    package var requests: RateLimiter?
    package var tokens: RateLimiter?

    /// 0 means unlimited, as in the config's `limits:`.
    package init(requestsPerMinute: Int, tokensPerMinute: Int) {
        requests = RateLimiter(limit: requestsPerMinute)
        tokens = RateLimiter(limit: tokensPerMinute)
    }

    package var isUnlimited: Bool { requests == nil && tokens == nil }

    /// Admits one request estimated at `estimatedTokens`, consuming from both limits only if
    /// both allow it. Settle with `settleTokens` once the real usage is known.
    package mutating func check(estimatedTokens: Int, now: Instant) -> KeyLimitDecision {
        let decision = KeyLimitDecision(
            requests: requests?.evaluate(cost: 1, now: now),
            tokens: tokens?.evaluate(cost: estimatedTokens, now: now))
        if decision.allowed {
            _ = requests?.check(cost: 1, now: now)
            _ = tokens?.check(cost: estimatedTokens, now: now)
        }
        return decision
    }

    /// Charges the difference between the real token count and the estimate admitted.
    package mutating func settleTokens(estimated: Int, actual: Int, now: Instant) {
        tokens?.adjust(by: actual - estimated, now: now)
    }

    package func isIdle(now: Instant) -> Bool {
        (requests?.isIdle(now: now) ?? true) && (tokens?.isIdle(now: now) ?? true)
    }
}

/// The combined answer, and the response headers it implies.
package struct KeyLimitDecision: Sendable, Equatable {
    package var requests: LimitDecision?
    package var tokens: LimitDecision?

    package init(requests: LimitDecision?, tokens: LimitDecision?) {
        self.requests = requests
        self.tokens = tokens
    }

    package var allowed: Bool { (requests?.allowed ?? true) && (tokens?.allowed ?? true) }

    /// The longest wait among the rejecting limits; nil when allowed or when no wait helps.
    package var retryAfter: Duration? {
        guard !allowed else { return nil }
        let rejecting = [requests, tokens].compactMap { $0 }.filter { !$0.allowed }
        if rejecting.contains(where: \.exceedsLimit) { return nil }
        return rejecting.compactMap(\.retryAfter).max()
    }

    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for each configured limit, and
    /// `Retry-After` (whole seconds, rounded up) when rejected with a wait that helps.
    package var headerFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for (suffix, decision) in [("requests", requests), ("tokens", tokens)] {
            guard let decision else { continue }
            fields.append(("x-ratelimit-limit-\(suffix)", String(decision.limit)))
            fields.append(("x-ratelimit-remaining-\(suffix)", String(decision.remaining)))
            fields.append(("x-ratelimit-reset-\(suffix)", LimitDecision.formatReset(decision.resetAfter)))
        }
        if let retryAfter {
            fields.append(("retry-after", String(max(1, LimitDecision.retryAfterSeconds(retryAfter)))))
        }
        return fields
    }
}
