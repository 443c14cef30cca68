import RouterCore

/// A request the limits let through: what it was charged up front, settled when it ends.
package struct LimitAdmission: Sendable {
    package var keyName: String
    /// Tokens charged to the tokens-per-minute limit up front (0 without one).
    package var chargedTokens: Int
    package var reservation: BudgetReservation?
    /// Which ledger the reservation lives in; a budget changed since then settles as plain spend.
    package var ledgerGeneration: UInt64
    /// `x-ratelimit-*` for the response (empty when the key has no rate limits).
    package var headerFields: [(name: String, value: String)]
    package var admittedAt: ContinuousClock.Instant
}

/// Why a request was refused, with what the 429 needs.
package struct LimitRejection: Error, Sendable, Equatable {
    package enum Limit: String, Sendable {
        case requests
        case tokens
        case budget
    }

    package var limit: Limit
    package var message: String
    package var headerFields: [LimitHeader]

    package struct LimitHeader: Sendable, Equatable {
        package var name: String
        package var value: String
    }
}
