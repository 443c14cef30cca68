import HTTPTypes

/// The header names the router reads or sets, checked once rather than on every request.
extension HTTPField.Name {
    /// Anthropic's key header, which the router also takes for its own keys.
    static let apiKey = HTTPField.Name("x-api-key")!
    static let anthropicVersion = HTTPField.Name("anthropic-version")!
    static let requestID = HTTPField.Name("x-request-id")!
    static let localRouterProvider = HTTPField.Name("x-localrouter-provider")!
    static let localRouterModel = HTTPField.Name("x-localrouter-model")!
    static let localRouterAttempts = HTTPField.Name("x-localrouter-attempts")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}

extension HTTPFields {
    /// The value of the first `name` field: what the subscript gives for a field sent once, without
    /// the subscript's lazy `joined(separator:)`, which showed in the per-request profile.
    func firstValue(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// Whether any `name` field lists `token` (lowercase) among its comma-separated values, in
    /// any case (`Connection: Keep-Alive, Close`, `Expect: 100-continue`).
    func anyValue(_ name: HTTPField.Name, says token: String) -> Bool {
        contains { field in
            field.name == name && field.value.lowercased().split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" } == token }
        }
    }
}
