import RouterCore

/// openai, gemini, openrouter, ollama and openai-compatible all speak Chat Completions;
/// they differ only in base URL, auth header and a few courtesy headers.
package enum OpenAICompatibleProvider {
    package static func url(_ provider: ProviderSettings, _ endpoint: Endpoint) -> String {
        versionedBase(provider) + endpoint.rawValue
    }

    /// `…/v1` for every type; ollama's configured base is its server root.
    package static func versionedBase(_ provider: ProviderSettings) -> String {
        provider.type == .ollama ? provider.baseURL + "/v1" : provider.baseURL
    }

    package static func headers(_ provider: ProviderSettings, credential: String?, stream: Bool) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("content-type", "application/json"),
            ("accept", stream ? "text/event-stream" : "application/json"),
        ]
        if let credential, !credential.isEmpty { headers.append(("authorization", "Bearer \(credential)")) }
        if provider.type == .openrouter {
            // OpenRouter's attribution headers (optional, harmless).
            headers.append(("x-title", "LocalRouter"))
        }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        return headers
    }
}
