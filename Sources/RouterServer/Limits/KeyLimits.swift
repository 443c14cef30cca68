import RouterCore

/// The limits in force for one request: the key's own, else the config's `limits:` defaults.
/// Requests without a key (auth off) share one bucket under `anonymousName`.
package struct KeyLimits: Sendable, Equatable {
    /// Not a valid key name (`ItemName` forbids parentheses), so it never collides with a key.
    package static let anonymousName = "(none)"

    package var keyName: String
    /// 0 = unlimited.
    package var requestsPerMinute: Int
    package var tokensPerMinute: Int
    package var budget: Budget?

    package struct Budget: Sendable, Equatable {
        package var usd: Double
        package var period: BudgetLedger.Period
    }

    package init(keyName: String, requestsPerMinute: Int, tokensPerMinute: Int, budget: Budget? = nil) {
        self.keyName = keyName
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.budget = budget
    }

    package init(identity: ClientIdentity?, defaults: LimitSettings) {
        self.keyName = identity?.keyName ?? Self.anonymousName
        self.requestsPerMinute = max(0, identity?.rpm ?? defaults.rpm)
        self.tokensPerMinute = max(0, identity?.tpm ?? defaults.tpm)
        if let usd = identity?.budgetUSD {
            let period: BudgetLedger.Period = identity?.budgetPeriod == .day ? .day : .month
            self.budget = Budget(usd: max(0, usd), period: period)
        }
    }

    /// Whether any limit applies: a rate or a budget.
    package var apply: Bool { hasRateLimits || budget != nil }

    package var hasRateLimits: Bool { requestsPerMinute > 0 || tokensPerMinute > 0 }
}
