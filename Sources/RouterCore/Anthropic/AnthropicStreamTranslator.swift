/// Anthropic Messages stream → OpenAI `chat.completion.chunk`s, one upstream event at a time.
///
/// Every piece of content Anthropic streams becomes one chunk, in order: the role chunk at
/// `message_start`, text and thinking deltas, a tool call's head at its `content_block_start` and its
/// argument fragments under the same OpenAI index (which counts tool calls, not content blocks), the
/// finish reason at `message_delta`, and at `message_stop` a usage chunk with empty `choices`, as OpenAI
/// sends with `stream_options.include_usage` (the caller drops it for clients that did not ask).
package struct AnthropicStreamTranslator: Sendable {
    package enum Output: Sendable, Equatable {
        /// A `chat.completion.chunk` to send as `data:`.
        case chunk(JSONValue)
        /// The upstream failed mid-stream; send `error.openAIBody` as an SSE error event and stop.
        case error(AnthropicError)
    }

    private var messageID: String
    private var model: String
    private let created: Int
    private var sentRole = false
    /// Content block index → OpenAI tool call index, for client tool_use blocks only.
    private var toolCallIndexByBlock: [Int: Int] = [:]
    private var toolCallCount = 0
    /// Thinking text per block, to hand out a complete block when its signature arrives.
    private var thinkingByBlock: [Int: String] = [:]

    /// Token counts so far; final once `isFinished`. For the access log.
    package private(set) var usage = AnthropicUsage()
    package private(set) var finishReason: String?
    /// `message_stop` or an `error` event was seen.
    package private(set) var isFinished = false

    /// `created` is the Unix time to stamp on chunks (injected for tests); `model` is used until
    /// `message_start` names the upstream's.
    package init(created: Int, model: String = "", messageID: String = "") {
        self.created = created
        self.model = model
        self.messageID = messageID
    }

    package mutating func translate(_ event: ServerSentEvent) -> [Output] {
        guard let data = JSONValue.parseIfJSON(event.data), data.objectValue != nil else {
            if event.event == "ping" { return [] }
            isFinished = true
            return [.error(AnthropicError(type: "api_error", message: "Malformed event from upstream: \(event.data.prefix(200))"))]
        }
        switch data["type"]?.stringValue ?? event.event {
        case "message_start":
            let message = data["message"]
            if let id = message?["id"]?.nonEmptyString { messageID = id }
            if let name = message?["model"]?.nonEmptyString { model = name }
            usage.merge(anthropicUsage: message?["usage"])
            return roleChunkIfNeeded()
        case "content_block_start":
            return roleChunkIfNeeded() + blockStart(data)
        case "content_block_delta":
            return roleChunkIfNeeded() + blockDelta(data)
        case "message_delta":
            usage.merge(anthropicUsage: data["usage"])
            guard let reason = AnthropicResponseTranslator.finishReason(fromStopReason: data["delta"]?["stop_reason"]?.stringValue) else {
                return []
            }
            finishReason = reason
            return roleChunkIfNeeded() + [.chunk(chunk(delta: [:], finishReason: reason))]
        case "message_stop":
            isFinished = true
            var final = chunk(delta: [:])
            final["choices"] = []
            final["usage"] = usage.openAIUsage
            return [.chunk(final)]
        case "error":
            isFinished = true
            return [.error(AnthropicError(anthropicStreamErrorData: data))]
        default:
            return []  // ping, content_block_stop, and event types Anthropic may add later.
        }
    }

    private mutating func blockStart(_ data: JSONValue) -> [Output] {
        guard let index = data["index"]?.intValue, let block = data["content_block"] else { return [] }
        switch block["type"]?.stringValue {
        case "text":
            guard let text = block["text"]?.nonEmptyString else { return [] }
            return [.chunk(chunk(delta: ["content": .string(text)]))]
        case "thinking":
            let thinking = block["thinking"]?.stringValue ?? ""
            thinkingByBlock[index] = thinking
            return thinking.isEmpty ? [] : [.chunk(chunk(delta: ["reasoning_content": .string(thinking)]))]
        case "redacted_thinking":
            return [.chunk(chunk(delta: ["thinking_blocks": [block]]))]
        case "tool_use":
            let toolIndex = toolCallCount
            toolCallCount += 1
            toolCallIndexByBlock[index] = toolIndex
            var arguments = ""
            if let input = block["input"], input != [:] { arguments = input.sortedCompactJSON }
            let call: JSONValue = [
                "index": .integer(Int64(toolIndex)),
                "id": block["id"] ?? "",
                "type": "function",
                "function": ["name": block["name"] ?? "", "arguments": .string(arguments)],
            ]
            return [.chunk(chunk(delta: ["tool_calls": [call]]))]
        default:
            return []  // Server tool blocks have no Chat Completions form.
        }
    }

    private mutating func blockDelta(_ data: JSONValue) -> [Output] {
        guard let index = data["index"]?.intValue, let delta = data["delta"] else { return [] }
        switch delta["type"]?.stringValue {
        case "text_delta":
            guard let text = delta["text"]?.nonEmptyString else { return [] }
            return [.chunk(chunk(delta: ["content": .string(text)]))]
        case "input_json_delta":
            // Fragments of server tool blocks have no tool call to belong to.
            guard let toolIndex = toolCallIndexByBlock[index], let fragment = delta["partial_json"]?.nonEmptyString else {
                return []
            }
            let call: JSONValue = ["index": .integer(Int64(toolIndex)), "function": ["arguments": .string(fragment)]]
            return [.chunk(chunk(delta: ["tool_calls": [call]]))]
        case "thinking_delta":
            guard let thinking = delta["thinking"]?.nonEmptyString else { return [] }
            thinkingByBlock[index, default: ""] += thinking
            return [.chunk(chunk(delta: ["reasoning_content": .string(thinking)]))]
        case "signature_delta":
            // The signature arrives last; the whole block goes out with it so a client that keeps
            // `thinking_blocks` can send it back byte for byte.
            let block: JSONValue = [
                "type": "thinking",
                "thinking": .string(thinkingByBlock[index] ?? ""),
                "signature": delta["signature"] ?? "",
            ]
            return [.chunk(chunk(delta: ["thinking_blocks": [block]]))]
        default:
            return []
        }
    }

    private mutating func roleChunkIfNeeded() -> [Output] {
        guard !sentRole else { return [] }
        sentRole = true
        return [.chunk(chunk(delta: ["role": "assistant", "content": ""]))]
    }

    private func chunk(delta: JSONValue, finishReason: String? = nil) -> JSONValue {
        [
            "id": .string(messageID),
            "object": "chat.completion.chunk",
            "created": .integer(Int64(created)),
            "model": .string(model),
            "choices": [
                [
                    "index": 0,
                    "delta": delta,
                    "logprobs": .null,
                    "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                ]
            ],
        ]
    }
}
