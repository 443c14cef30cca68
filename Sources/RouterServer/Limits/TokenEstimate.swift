import RouterCore

/// A request's token count guessed before it is sent: about four characters of prompt text per
/// token, plus the output the client allows. Rate limits admit on it and settle with the real
/// usage afterwards; budgets reserve its worst case.
package struct TokenEstimate: Sendable, Equatable {
    package var promptTokens: Int
    /// `max_tokens` (or `max_completion_tokens`, `max_output_tokens`) when the client set one.
    package var maxOutputTokens: Int?
    /// Embeddings produce no output tokens.
    package var producesOutput: Bool

    /// Output assumed by the rate limiter when the client set no maximum; the real usage settles it.
    package static let defaultRateOutputTokens = 1024
    /// Output assumed by budget reservations when the client set no maximum. The model's real
    /// ceiling is unknown to the router; a request without `max_tokens` can exceed this.
    package static let defaultBudgetOutputTokens = 4096

    package init(promptTokens: Int, maxOutputTokens: Int?, producesOutput: Bool = true) {
        self.promptTokens = promptTokens
        self.maxOutputTokens = maxOutputTokens
        self.producesOutput = producesOutput
    }

    /// Reads the prompt-bearing fields of an OpenAI or Anthropic request body.
    package init(json: JSONValue, producesOutput: Bool) {
        var characters = 0
        for field in ["messages", "system", "prompt", "input", "tools", "functions"] {
            if let value = json[field] { characters += Self.textCharacters(in: value, key: field) }
        }
        let maximum = ["max_tokens", "max_completion_tokens", "max_output_tokens"].lazy
            .compactMap { json[$0]?.intValue }.first
        self.init(
            promptTokens: (characters + 3) / 4, maxOutputTokens: maximum.map { max(0, $0) }, producesOutput: producesOutput)
    }

    /// What the tokens-per-minute limit is charged before the answer is known.
    package var rateTokens: Int {
        promptTokens + (producesOutput ? (maxOutputTokens ?? Self.defaultRateOutputTokens) : 0)
    }

    /// Output tokens a budget reserves for.
    package var budgetOutputTokens: Int {
        producesOutput ? (maxOutputTokens ?? Self.defaultBudgetOutputTokens) : 0
    }

    /// Characters of text, skipping image payloads (a base64 image is not thousands of tokens of prompt).
    private static func textCharacters(in value: JSONValue, key: String) -> Int {
        if ["url", "data", "image_url", "image", "input_audio"].contains(key) { return 0 }
        switch value {
        case .string(let text): return text.utf8.count
        case .array(let items): return items.reduce(0) { $0 + textCharacters(in: $1, key: "") }
        case .object(let fields): return fields.reduce(0) { $0 + textCharacters(in: $1.value, key: $1.key) }
        default: return 0
        }
    }
}
