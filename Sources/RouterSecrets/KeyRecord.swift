import Foundation

/// One issued `lr-` key as stored in `keys.enc`. Holds the bcrypt hash, never the key.
/// Its description leaves the hash out; do not JSON-encode it for display either.
package struct KeyRecord: Codable, Sendable, Equatable, CustomStringConvertible {
    package enum State: String, Codable, Sendable, CaseIterable {
        case active
        case disabled
        case revoked
    }

    package enum BudgetPeriod: String, Codable, Sendable, CaseIterable {
        case day
        case month
    }

    package var name: String
    /// Non-secret: `lr-` + the first 8 body characters, for lookup and display.
    package var prefix: String
    package var hash: String
    package var createdAt: Date
    package var rotatedAt: Date?
    package var lastUsedAt: Date?
    package var expiresAt: Date?
    package var state: State
    /// Globs over model ids (`smart`, `openai/gpt-4.1`, `mock/*`); empty allows every model.
    package var models: [String]
    package var rpm: Int?
    package var tpm: Int?
    package var budgetUSD: Double?
    package var budgetPeriod: BudgetPeriod?

    package init(
        name: String, prefix: String, hash: String, createdAt: Date, rotatedAt: Date? = nil,
        lastUsedAt: Date? = nil, expiresAt: Date? = nil, state: State = .active, models: [String] = [],
        rpm: Int? = nil, tpm: Int? = nil, budgetUSD: Double? = nil, budgetPeriod: BudgetPeriod? = nil
    ) {
        self.name = name
        self.prefix = prefix
        self.hash = hash
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.state = state
        self.models = models
        self.rpm = rpm
        self.tpm = tpm
        self.budgetUSD = budgetUSD
        self.budgetPeriod = budgetPeriod
    }

    package func isExpired(at date: Date) -> Bool {
        guard let expiresAt else { return false }
        return date >= expiresAt
    }

    /// Active and not expired.
    package func isUsable(at date: Date) -> Bool {
        state == .active && !isExpired(at: date)
    }

    /// What `keys list` shows as the state: `expired` overrides `active`.
    package func displayState(at date: Date) -> String {
        state == .active && isExpired(at: date) ? "expired" : state.rawValue
    }

    package func allows(model: String) -> Bool {
        models.isEmpty || models.contains { ModelGlob.matches(pattern: $0, model) }
    }

    package var description: String {
        "KeyRecord(name: \(name), prefix: \(prefix), state: \(state.rawValue))"
    }
}
