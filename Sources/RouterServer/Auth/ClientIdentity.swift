import RouterSecrets

/// The authenticated client of a request: which `lr-` key it used, what that key may do.
/// Set by the auth middleware; nil when auth is not in force for the request.
package struct ClientIdentity: Sendable, Equatable {
    package var keyName: String
    /// Globs over the ids `/v1/models` shows (`smart`, `openai/*`); empty = every model.
    package var allowedModels: [String]
    /// The key's own limits; nil falls back to the config's `limits:` (0 = unlimited).
    package var rpm: Int?
    package var tpm: Int?
    /// USD per `budgetPeriod` (a month when nil); nil = no budget.
    package var budgetUSD: Double?
    package var budgetPeriod: KeyRecord.BudgetPeriod?

    package init(
        keyName: String, allowedModels: [String], rpm: Int? = nil, tpm: Int? = nil, budgetUSD: Double? = nil,
        budgetPeriod: KeyRecord.BudgetPeriod? = nil
    ) {
        self.keyName = keyName
        self.allowedModels = allowedModels
        self.rpm = rpm
        self.tpm = tpm
        self.budgetUSD = budgetUSD
        self.budgetPeriod = budgetPeriod
    }

    /// Everything a verified key record says about its client.
    package init(record: KeyRecord) {
        self.init(
            keyName: record.name, allowedModels: record.models, rpm: record.rpm, tpm: record.tpm, budgetUSD: record.budgetUSD,
            budgetPeriod: record.budgetPeriod)
    }

    /// Whether the key may use this id (a route name or `provider/model`).
    package func allows(_ modelID: String) -> Bool {
        allowedModels.isEmpty || allowedModels.contains { ModelGlob.matches(pattern: $0, modelID) }
    }
}
