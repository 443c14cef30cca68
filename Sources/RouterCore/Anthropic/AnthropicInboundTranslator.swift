/// The inbound direction, for `POST /v1/messages` served by an OpenAI-speaking provider:
/// Anthropic Messages request → Chat Completions request, and `chat.completion` → Anthropic message.
/// Thinking blocks a client sends back are dropped: an OpenAI upstream cannot verify them.
package enum AnthropicInboundTranslator {
    /// `useMaxCompletionTokens` names the limit `max_completion_tokens` (OpenAI's reasoning models
    /// require it) instead of `max_tokens` (what most OpenAI-compatible servers know).
    package static func chatRequest(
        fromMessages request: JSONValue,
        upstreamModel: String,
        useMaxCompletionTokens: Bool = false
    ) throws(AnthropicError) -> JSONValue {
        guard request.objectValue != nil else {
            throw .invalidRequest("The request body must be a JSON object.", param: nil)
        }
        guard let messages = request["messages"]?.arrayValue else {
            throw .invalidRequest("messages: Field required", param: "messages")
        }
        var chat: [String: JSONValue] = ["model": .string(upstreamModel)]
        var chatMessages: [JSONValue] = []

        switch request["system"].ifNotNull {
        case nil: break
        case .string(let text)?:
            if !text.isEmpty { chatMessages.append(["role": "system", "content": .string(text)]) }
        case .array(let blocks)?:
            let text = blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
            if !text.isEmpty { chatMessages.append(["role": "system", "content": .string(text)]) }
        default:
            throw .invalidRequest("system: must be a string or an array of text blocks", param: "system")
        }

        for (index, message) in messages.enumerated() {
            let param = "messages.\(index)"
            switch message["role"]?.stringValue {
            case "user":
                chatMessages += try userMessages(from: message["content"], param: param)
            case "assistant":
                if let assistant = try assistantMessage(from: message["content"], param: param) {
                    chatMessages.append(assistant)
                }
            default:
                throw .invalidRequest("\(param).role: Input should be 'user' or 'assistant'", param: "\(param).role")
            }
        }
        chat["messages"] = .array(chatMessages)

        if let maxTokens = request["max_tokens"].ifNotNull {
            chat[useMaxCompletionTokens ? "max_completion_tokens" : "max_tokens"] = maxTokens
        }
        for key in ["temperature", "top_p"] {
            if let value = request[key].ifNotNull { chat[key] = value }
        }
        if let stops = request["stop_sequences"].ifNotNull?.arrayValue, !stops.isEmpty {
            chat["stop"] = .array(stops)
        }
        if request["stream"]?.boolValue == true {
            chat["stream"] = true
            // message_delta must carry usage, and OpenAI only streams it when asked.
            chat["stream_options"] = ["include_usage": true]
        }
        if let user = request["metadata"]?["user_id"]?.nonEmptyString {
            chat["user"] = .string(user)
        }
        if let tools = request["tools"].ifNotNull?.arrayValue, !tools.isEmpty {
            chat["tools"] = .array(try tools.enumerated().map { index, tool throws(AnthropicError) in
                try chatTool(from: tool, param: "tools.\(index)")
            })
            if let choice = request["tool_choice"].ifNotNull {
                switch choice["type"]?.stringValue {
                case "auto": chat["tool_choice"] = "auto"
                case "any": chat["tool_choice"] = "required"
                case "none": chat["tool_choice"] = "none"
                case "tool":
                    guard let name = choice["name"]?.nonEmptyString else {
                        throw .invalidRequest("tool_choice.name: Field required", param: "tool_choice.name")
                    }
                    chat["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
                default:
                    throw .invalidRequest("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'", param: "tool_choice.type")
                }
                if choice["disable_parallel_tool_use"]?.boolValue == true { chat["parallel_tool_calls"] = false }
            }
        }
        return .object(chat)
    }

    /// A user turn: its tool results become `tool` messages (first, in order, as OpenAI wants them
    /// right after the assistant's calls), the rest one user message.
    private static func userMessages(from content: JSONValue?, param: String) throws(AnthropicError) -> [JSONValue] {
        switch content.ifNotNull {
        case .string(let text)?:
            return [["role": "user", "content": .string(text)]]
        case .array(let blocks)?:
            var toolMessages: [JSONValue] = []
            var parts: [JSONValue] = []
            for (index, block) in blocks.enumerated() {
                let blockParam = "\(param).content.\(index)"
                switch block["type"]?.stringValue {
                case "text":
                    parts.append(["type": "text", "text": block["text"] ?? ""])
                case "image":
                    parts.append(["type": "image_url", "image_url": ["url": .string(try url(of: block["source"], param: blockParam))]])
                case "document":
                    parts.append(try documentPart(from: block, param: blockParam))
                case "tool_result":
                    toolMessages.append([
                        "role": "tool",
                        "tool_call_id": block["tool_use_id"] ?? "",
                        "content": .string(toolResultText(block["content"])),
                    ])
                case "thinking", "redacted_thinking":
                    break
                case let type:
                    throw .invalidRequest("\(blockParam).type: '\(type ?? "null")' is not supported by this provider", param: "\(blockParam).type")
                }
            }
            guard !parts.isEmpty else { return toolMessages }
            // A lone text part is sent as a plain string, which every OpenAI-compatible server accepts.
            if parts.count == 1, parts[0]["type"] == "text", let text = parts[0]["text"] {
                return toolMessages + [["role": "user", "content": text]]
            }
            return toolMessages + [["role": "user", "content": .array(parts)]]
        default:
            throw .invalidRequest("\(param).content: must be a string or an array of blocks", param: "\(param).content")
        }
    }

    private static func assistantMessage(from content: JSONValue?, param: String) throws(AnthropicError) -> JSONValue? {
        switch content.ifNotNull {
        case .string(let text)?:
            return ["role": "assistant", "content": .string(text)]
        case .array(let blocks)?:
            var text = ""
            var sawText = false
            var toolCalls: [JSONValue] = []
            for block in blocks {
                switch block["type"]?.stringValue {
                case "text":
                    sawText = true
                    text += block["text"]?.stringValue ?? ""
                case "tool_use":
                    toolCalls.append(AnthropicResponseTranslator.toolCall(fromToolUse: block))
                default:
                    break  // Thinking cannot be verified by an OpenAI upstream.
                }
            }
            guard sawText || !toolCalls.isEmpty else { return nil }
            var message: JSONValue = ["role": "assistant", "content": sawText ? .string(text) : .null]
            if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
            return message
        default:
            throw .invalidRequest("\(param).content: must be a string or an array of blocks", param: "\(param).content")
        }
    }

    /// Tool results carry text to OpenAI; images in them have no place in a `tool` message.
    private static func toolResultText(_ content: JSONValue?) -> String {
        switch content.ifNotNull {
        case .string(let text)?: return text
        case .array(let blocks)?: return blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: return ""
        }
    }

    private static func url(of source: JSONValue?, param: String) throws(AnthropicError) -> String {
        switch source?["type"]?.stringValue {
        case "base64":
            guard let mediaType = source?["media_type"]?.stringValue, let data = source?["data"]?.stringValue else {
                throw .invalidRequest("\(param).source: media_type and data are required", param: "\(param).source")
            }
            return "data:\(mediaType);base64,\(data)"
        case "url":
            guard let url = source?["url"]?.nonEmptyString else {
                throw .invalidRequest("\(param).source.url: Field required", param: "\(param).source.url")
            }
            return url
        default:
            throw .invalidRequest("\(param).source: only base64 and url sources are supported by this provider", param: "\(param).source")
        }
    }

    private static func documentPart(from block: JSONValue, param: String) throws(AnthropicError) -> JSONValue {
        if block["source"]?["type"] == "text", let text = block["source"]?["data"]?.stringValue {
            return ["type": "text", "text": .string(text)]
        }
        var file: JSONValue = ["file_data": .string(try url(of: block["source"], param: param))]
        if let title = block["title"]?.nonEmptyString { file["filename"] = .string(title) }
        return ["type": "file", "file": file]
    }

    private static func chatTool(from tool: JSONValue, param: String) throws(AnthropicError) -> JSONValue {
        // Client tools have no type or `custom`; server tools (web search…) exist only at Anthropic.
        let type = tool["type"]?.stringValue ?? "custom"
        guard type == "custom", let name = tool["name"]?.nonEmptyString else {
            throw .invalidRequest("\(param): tool type '\(type)' is not supported by this provider", param: param)
        }
        var function: JSONValue = [
            "name": .string(name),
            "parameters": tool["input_schema"].ifNotNull ?? ["type": "object", "properties": [:]],
        ]
        if let description = tool["description"]?.nonEmptyString { function["description"] = .string(description) }
        return ["type": "function", "function": function]
    }

    // MARK: Response

    /// `chat.completion` → Anthropic message. `model` is what to report (the client's requested
    /// name); nil keeps the upstream's.
    package static func messagesResponse(fromChatCompletion completion: JSONValue, model: String? = nil) -> JSONValue {
        let choice = completion["choices"]?.arrayValue?.first
        let message = choice?["message"]
        var content: [JSONValue] = []
        if let reasoning = message?["reasoning_content"]?.nonEmptyString {
            content.append(["type": "thinking", "thinking": .string(reasoning), "signature": ""])
        }
        if let text = message?["content"]?.nonEmptyString ?? message?["refusal"]?.nonEmptyString {
            content.append(["type": "text", "text": .string(text)])
        }
        for call in message?["tool_calls"].ifNotNull?.arrayValue ?? [] {
            content.append(toolUseBlock(id: call["id"]?.stringValue, name: call["function"]?["name"]?.stringValue,
                                        arguments: call["function"]?["arguments"]?.stringValue ?? ""))
        }
        return [
            "id": .string(anthropicMessageID(fromChatID: completion["id"]?.stringValue)),
            "type": "message",
            "role": "assistant",
            "model": model.map(JSONValue.string) ?? completion["model"] ?? "",
            "content": .array(content),
            "stop_reason": stopReason(fromFinishReason: choice?["finish_reason"]?.stringValue).map(JSONValue.string) ?? .null,
            "stop_sequence": .null,
            "usage": AnthropicUsage(openAIUsage: completion["usage"]).anthropicUsage,
        ]
    }

    static func toolUseBlock(id: String?, name: String?, arguments: String) -> JSONValue {
        // `input` must be an object; arguments that are not one (a model's broken JSON) are kept
        // readable rather than lost.
        let parsed = arguments.isEmpty ? [:] : JSONValue.parseIfJSON(arguments)
        let input: JSONValue = parsed?.objectValue != nil ? parsed! : ["arguments": .string(arguments)]
        return ["type": "tool_use", "id": .string(id ?? ""), "name": .string(name ?? ""), "input": input]
    }

    /// OpenAI `finish_reason` → Anthropic `stop_reason`.
    package static func stopReason(fromFinishReason finishReason: String?) -> String? {
        switch finishReason {
        case nil: return nil
        case "length": return "max_tokens"
        case "tool_calls", "function_call": return "tool_use"
        case "content_filter": return "refusal"
        default: return "end_turn"
        }
    }

    /// Anthropic clients expect `msg_` ids.
    static func anthropicMessageID(fromChatID id: String?) -> String {
        guard let id, !id.isEmpty else { return "msg_localrouter" }
        if id.hasPrefix("msg_") { return id }
        if id.hasPrefix("chatcmpl-") { return "msg_" + id.dropFirst("chatcmpl-".count) }
        return "msg_" + id
    }
}
