extension ProviderType {
    /// The `base_url` used when the config leaves it out; nil where the user must give one.
    package var defaultBaseURL: String? {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .anthropic: "https://api.anthropic.com/v1"
        case .gemini: "https://generativelanguage.googleapis.com/v1beta/openai"
        case .openrouter: "https://openrouter.ai/api/v1"
        case .ollama: "http://127.0.0.1:11434"
        case .mock: "mock://local"
        case .openaiCompatible: nil
        }
    }

    /// Hosted services refuse requests without a key, so a missing `api_key` is a
    /// config error rather than a 401 at the first request.
    package var requiresAPIKey: Bool {
        switch self {
        case .openai, .anthropic, .gemini, .openrouter: true
        case .ollama, .mock, .openaiCompatible: false
        }
    }

    /// The conventional variable for this provider's key, suggested in messages.
    var environmentVariable: String {
        switch self {
        case .openai: "OPENAI_API_KEY"
        case .anthropic: "ANTHROPIC_API_KEY"
        case .gemini: "GEMINI_API_KEY"
        case .openrouter: "OPENROUTER_API_KEY"
        case .ollama, .mock, .openaiCompatible: "API_KEY"
        }
    }
}
