/// Token counts of one Anthropic-shaped exchange, for the access log and for OpenAI's `usage`.
package struct AnthropicUsage: Sendable, Equatable {
    /// Input tokens neither read from nor written to the prompt cache.
    package var inputTokens: Int
    package var outputTokens: Int
    package var cacheReadInputTokens: Int
    package var cacheCreationInputTokens: Int

    package init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadInputTokens: Int = 0, cacheCreationInputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
    }

    /// OpenAI counts every prompt token, cached or not, in `prompt_tokens`.
    package var promptTokens: Int { inputTokens + cacheReadInputTokens + cacheCreationInputTokens }
    package var completionTokens: Int { outputTokens }
    package var totalTokens: Int { promptTokens + completionTokens }

    /// Reads an Anthropic `usage` object; fields it lacks keep their current values, because
    /// `message_delta` repeats only some of them.
    mutating func merge(anthropicUsage usage: JSONValue?) {
        guard let usage else { return }
        if let value = usage["input_tokens"]?.intValue { inputTokens = value }
        if let value = usage["output_tokens"]?.intValue { outputTokens = value }
        if let value = usage["cache_read_input_tokens"]?.intValue { cacheReadInputTokens = value }
        if let value = usage["cache_creation_input_tokens"]?.intValue { cacheCreationInputTokens = value }
    }

    package init(anthropicUsage usage: JSONValue?) {
        self.init()
        merge(anthropicUsage: usage)
    }

    /// Reads an OpenAI `usage` object; cached prompt tokens become cache reads.
    package init(openAIUsage usage: JSONValue?) {
        let prompt = usage?["prompt_tokens"]?.intValue ?? 0
        let cached = usage?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
        self.init(
            inputTokens: max(prompt - cached, 0),
            outputTokens: usage?["completion_tokens"]?.intValue ?? 0,
            cacheReadInputTokens: cached
        )
    }

    /// OpenAI's `usage` object.
    package var openAIUsage: JSONValue {
        [
            "prompt_tokens": .integer(Int64(promptTokens)),
            "completion_tokens": .integer(Int64(completionTokens)),
            "total_tokens": .integer(Int64(totalTokens)),
            "prompt_tokens_details": ["cached_tokens": .integer(Int64(cacheReadInputTokens))],
        ]
    }

    /// Anthropic's `usage` object.
    package var anthropicUsage: JSONValue {
        [
            "input_tokens": .integer(Int64(inputTokens)),
            "output_tokens": .integer(Int64(outputTokens)),
            "cache_read_input_tokens": .integer(Int64(cacheReadInputTokens)),
            "cache_creation_input_tokens": .integer(Int64(cacheCreationInputTokens)),
        ]
    }
}
