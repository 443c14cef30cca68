/// Anthropic Messages response → OpenAI `chat.completion`.
///
/// Thinking survives as two fields on the message: `reasoning_content` (the text, as DeepSeek and
/// LiteLLM name it) and `thinking_blocks` (the blocks verbatim, signatures and redacted blocks
/// included), which `AnthropicRequestTranslator` puts back when the client returns the turn.
package enum AnthropicResponseTranslator {
    package static func chatCompletion(fromMessagesResponse response: JSONValue, created: Int) -> JSONValue {
        var text = ""
        var sawText = false
        var reasoning = ""
        var thinkingBlocks: [JSONValue] = []
        var toolCalls: [JSONValue] = []
        for block in response["content"]?.arrayValue ?? [] {
            switch block["type"]?.stringValue {
            case "text":
                sawText = true
                text += block["text"]?.stringValue ?? ""
            case "thinking":
                reasoning += block["thinking"]?.stringValue ?? ""
                thinkingBlocks.append(block)
            case "redacted_thinking":
                thinkingBlocks.append(block)
            case "tool_use":
                toolCalls.append(toolCall(fromToolUse: block))
            default:
                break  // Server tool blocks (web search…) have no Chat Completions form.
            }
        }

        var message: [String: JSONValue] = ["role": "assistant", "refusal": .null]
        // OpenAI sends null content beside tool calls and "" for an empty answer.
        message["content"] = sawText || toolCalls.isEmpty ? .string(text) : .null
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        if !thinkingBlocks.isEmpty {
            message["reasoning_content"] = .string(reasoning)
            message["thinking_blocks"] = .array(thinkingBlocks)
        }

        let usage = AnthropicUsage(anthropicUsage: response["usage"])
        return [
            "id": response["id"] ?? "",
            "object": "chat.completion",
            "created": .integer(Int64(created)),
            "model": response["model"] ?? "",
            "choices": [
                [
                    "index": 0,
                    "message": .object(message),
                    "logprobs": .null,
                    "finish_reason": finishReason(fromStopReason: response["stop_reason"]?.stringValue).map(JSONValue.string) ?? .null,
                ]
            ],
            "usage": usage.openAIUsage,
        ]
    }

    /// Anthropic `stop_reason` → OpenAI `finish_reason`; nil stays nil (still running).
    package static func finishReason(fromStopReason stopReason: String?) -> String? {
        switch stopReason {
        case nil: return nil
        case "end_turn", "stop_sequence", "pause_turn": return "stop"
        case "max_tokens", "model_context_window_exceeded": return "length"
        case "tool_use": return "tool_calls"
        case "refusal": return "content_filter"
        default: return "stop"
        }
    }

    /// An Anthropic `tool_use` block as an OpenAI `tool_calls` entry (arguments as compact JSON).
    static func toolCall(fromToolUse block: JSONValue) -> JSONValue {
        [
            "id": block["id"] ?? "",
            "type": "function",
            "function": [
                "name": block["name"] ?? "",
                "arguments": .string((block["input"] ?? [:]).sortedCompactJSON),
            ],
        ]
    }
}
