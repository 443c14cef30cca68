/// The OpenAI-compatible operations the router proxies.
package enum Endpoint: String, Sendable {
    case chatCompletions = "/chat/completions"
    case completions = "/completions"
    case embeddings = "/embeddings"

    /// Whether `stream: true` is meaningful here.
    package var canStream: Bool { self != .embeddings }
}
