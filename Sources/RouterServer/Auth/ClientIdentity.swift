import RouterSecrets

/// The authenticated client of a request: which `lr-` key it used, what that key may do.
/// Set by the auth middleware; nil when auth is not in force for the request.
package struct ClientIdentity: Sendable, Equatable {
    package var keyName: String
    /// Globs over the ids `/v1/models` shows (`smart`, `openai/*`); empty = every model.
    package var allowedModels: [String]

    package init(keyName: String, allowedModels: [String]) {
        self.keyName = keyName
        self.allowedModels = allowedModels
    }

    /// Whether the key may use this id (a route name or `provider/model`).
    package func allows(_ modelID: String) -> Bool {
        allowedModels.isEmpty || allowedModels.contains { ModelGlob.matches(pattern: $0, modelID) }
    }
}
