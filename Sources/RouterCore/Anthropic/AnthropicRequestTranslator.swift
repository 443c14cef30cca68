import Foundation

/// OpenAI Chat Completions request → Anthropic Messages request, for routing an OpenAI client to an
/// `anthropic` provider. Fields Anthropic has no counterpart for are dropped; content it cannot carry
/// (audio, unknown part types, non-function tools) is a 400 rather than a silently different prompt.
package enum AnthropicRequestTranslator {
    /// Anthropic requires `max_tokens`; OpenAI clients usually omit it.
    package static let defaultMaxTokens = 4096

    package static func messagesRequest(
        fromChat chat: JSONValue,
        upstreamModel: String,
        defaultMaxTokens: Int = defaultMaxTokens
    ) throws(AnthropicError) -> JSONValue {
        guard chat.objectValue != nil else {
            throw .invalidRequest("The request body must be a JSON object.", param: nil)
        }
        guard let messages = chat["messages"]?.arrayValue else {
            throw .invalidRequest("'messages' is a required property and must be an array.", param: "messages")
        }
        guard !messages.isEmpty else {
            throw .invalidRequest("'messages' must contain at least one message.", param: "messages")
        }
        if let count = chat["n"].ifNotNull?.intValue, count != 1 {
            throw .invalidRequest("Only n=1 is supported by this model's provider.", param: "n")
        }

        var request: [String: JSONValue] = ["model": .string(upstreamModel)]
        var systemBlocks: [JSONValue] = []
        var turns: [(role: String, blocks: [JSONValue])] = []

        for (messageIndex, message) in messages.enumerated() {
            let param = "messages[\(messageIndex)]"
            guard let role = message["role"]?.stringValue else {
                throw .invalidRequest("Each message needs a 'role'.", param: "\(param).role")
            }
            switch role {
            case "system", "developer":
                systemBlocks += try textBlocks(of: message["content"], param: "\(param).content")
            case "user":
                turns.append(("user", try userBlocks(of: message["content"], param: "\(param).content")))
            case "assistant":
                turns.append(("assistant", try assistantBlocks(of: message, param: param)))
            case "tool":
                guard let toolCallID = message["tool_call_id"]?.nonEmptyString else {
                    throw .invalidRequest("A tool message needs 'tool_call_id'.", param: "\(param).tool_call_id")
                }
                var result: [String: JSONValue] = ["type": "tool_result", "tool_use_id": .string(toolCallID)]
                result["content"] = try toolResultContent(of: message["content"], param: "\(param).content")
                turns.append(("user", [.object(result)]))
            default:
                throw .invalidRequest("Unsupported message role '\(role)'.", param: "\(param).role")
            }
        }

        if !systemBlocks.isEmpty {
            request["system"] = collapsedContent(systemBlocks)
        }
        request["messages"] = .array(mergedTurns(turns))

        let maxTokens = chat["max_completion_tokens"].ifNotNull?.intValue ?? chat["max_tokens"].ifNotNull?.intValue ?? defaultMaxTokens
        request["max_tokens"] = .integer(Int64(maxTokens))
        for key in ["temperature", "top_p", "top_k", "stream", "thinking"] {
            if let value = chat[key].ifNotNull { request[key] = value }
        }
        switch chat["stop"].ifNotNull {
        case .string(let stop)?: request["stop_sequences"] = [.string(stop)]
        case .array(let stops)? where !stops.isEmpty: request["stop_sequences"] = .array(stops)
        default: break
        }
        if let user = chat["user"]?.nonEmptyString {
            request["metadata"] = ["user_id": .string(user)]
        }

        if let tools = chat["tools"].ifNotNull?.arrayValue, !tools.isEmpty {
            request["tools"] = .array(try tools.enumerated().map { index, tool throws(AnthropicError) in
                try anthropicTool(from: tool, param: "tools[\(index)]")
            })
            var toolChoice = try anthropicToolChoice(from: chat["tool_choice"].ifNotNull)
            if chat["parallel_tool_calls"]?.boolValue == false, toolChoice?["type"]?.stringValue != "none" {
                toolChoice = toolChoice ?? ["type": "auto"]
                toolChoice?["disable_parallel_tool_use"] = true
            }
            if let toolChoice { request["tool_choice"] = toolChoice }
        }
        return .object(request)
    }

    // MARK: Content

    /// Text-only content (system prompts): a string or an array of text parts.
    private static func textBlocks(of content: JSONValue?, param: String) throws(AnthropicError) -> [JSONValue] {
        switch content.ifNotNull {
        case nil: return []
        case .string(let text)?: return text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
        case .array(let parts)?:
            var blocks: [JSONValue] = []
            for (index, part) in parts.enumerated() {
                guard part["type"]?.stringValue == "text", let text = part["text"]?.stringValue else {
                    throw .invalidRequest("Only text parts are allowed here.", param: "\(param)[\(index)]")
                }
                if !text.isEmpty { blocks.append(textBlock(text, from: part)) }
            }
            return blocks
        default:
            throw .invalidRequest("'content' must be a string or an array of parts.", param: param)
        }
    }

    private static func userBlocks(of content: JSONValue?, param: String) throws(AnthropicError) -> [JSONValue] {
        switch content.ifNotNull {
        case nil: return []
        case .string(let text)?: return text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
        case .array(let parts)?:
            var blocks: [JSONValue] = []
            for (index, part) in parts.enumerated() {
                if let block = try contentBlock(from: part, param: "\(param)[\(index)]") { blocks.append(block) }
            }
            return blocks
        default:
            throw .invalidRequest("'content' must be a string or an array of parts.", param: param)
        }
    }

    /// One OpenAI content part as an Anthropic block; nil for an empty text part, which Anthropic rejects.
    private static func contentBlock(from part: JSONValue, param: String) throws(AnthropicError) -> JSONValue? {
        switch part["type"]?.stringValue {
        case "text":
            guard let text = part["text"]?.stringValue else {
                throw .invalidRequest("A text part needs 'text'.", param: "\(param).text")
            }
            return text.isEmpty ? nil : textBlock(text, from: part)
        case "image_url":
            guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                throw .invalidRequest("An image_url part needs 'image_url.url'.", param: "\(param).image_url")
            }
            return ["type": "image", "source": try mediaSource(fromURL: url, param: "\(param).image_url.url")]
        case "file":
            guard let fileData = part["file"]?["file_data"]?.stringValue else {
                throw .invalidRequest("Only inline 'file.file_data' files can be sent to this provider.", param: "\(param).file")
            }
            return ["type": "document", "source": try mediaSource(fromURL: fileData, param: "\(param).file.file_data")]
        case let type:
            throw .invalidRequest("Content part type '\(type ?? "null")' is not supported by this provider.", param: "\(param).type")
        }
    }

    /// A text block keeping a client's `cache_control`, which some OpenAI-speaking clients send for Claude.
    private static func textBlock(_ text: String, from part: JSONValue) -> JSONValue {
        var block: JSONValue = ["type": "text", "text": .string(text)]
        if let cacheControl = part["cache_control"].ifNotNull { block["cache_control"] = cacheControl }
        return block
    }

    /// `data:` URLs become base64 sources, http(s) URLs URL sources.
    private static func mediaSource(fromURL url: String, param: String) throws(AnthropicError) -> JSONValue {
        if url.hasPrefix("data:") {
            guard let comma = url.firstIndex(of: ","),
                case let header = url[url.index(url.startIndex, offsetBy: 5)..<comma],
                header.hasSuffix(";base64")
            else {
                throw .invalidRequest("Data URLs must be base64-encoded ('data:<type>;base64,…').", param: param)
            }
            let mediaType = header.dropLast(";base64".count)
            return [
                "type": "base64",
                "media_type": .string(String(mediaType)),
                "data": .string(String(url[url.index(after: comma)...])),
            ]
        }
        let lowercased = url.lowercased()
        guard lowercased.hasPrefix("https://") || lowercased.hasPrefix("http://") else {
            throw .invalidRequest("Only http(s) and base64 data URLs are supported.", param: param)
        }
        return ["type": "url", "url": .string(url)]
    }

    private static func assistantBlocks(of message: JSONValue, param: String) throws(AnthropicError) -> [JSONValue] {
        // Thinking blocks go first and unchanged: Anthropic verifies their signatures.
        var blocks = message["thinking_blocks"].ifNotNull?.arrayValue ?? []
        switch message["content"].ifNotNull {
        case nil: break
        case .string(let text)?:
            if !text.isEmpty { blocks.append(["type": "text", "text": .string(text)]) }
        case .array(let parts)?:
            for (index, part) in parts.enumerated() {
                let text = part["text"]?.stringValue ?? part["refusal"]?.stringValue
                guard let text else {
                    throw .invalidRequest("Assistant content parts must be text.", param: "\(param).content[\(index)]")
                }
                if !text.isEmpty { blocks.append(textBlock(text, from: part)) }
            }
        default:
            throw .invalidRequest("'content' must be a string or an array of parts.", param: "\(param).content")
        }
        for (index, call) in (message["tool_calls"].ifNotNull?.arrayValue ?? []).enumerated() {
            let callParam = "\(param).tool_calls[\(index)]"
            guard let id = call["id"]?.nonEmptyString, let name = call["function"]?["name"]?.nonEmptyString else {
                throw .invalidRequest("A tool call needs 'id' and 'function.name'.", param: callParam)
            }
            let arguments = call["function"]?["arguments"]?.stringValue ?? ""
            let input: JSONValue
            if arguments.trimmingCharacters(in: .whitespaces).isEmpty {
                input = [:]
            } else if let parsed = JSONValue.parseIfJSON(arguments), parsed.objectValue != nil {
                input = parsed
            } else {
                throw .invalidRequest("Tool call arguments must be a JSON object.", param: "\(callParam).function.arguments")
            }
            blocks.append(["type": "tool_use", "id": .string(id), "name": .string(name), "input": input])
        }
        return blocks
    }

    /// A tool message's content: a string stays a string, parts become text and image blocks.
    private static func toolResultContent(of content: JSONValue?, param: String) throws(AnthropicError) -> JSONValue {
        switch content.ifNotNull {
        case nil: return ""
        case .string(let text)?: return .string(text)
        case .array(let parts)?:
            var blocks: [JSONValue] = []
            for (index, part) in parts.enumerated() {
                if let block = try contentBlock(from: part, param: "\(param)[\(index)]") { blocks.append(block) }
            }
            return .array(blocks)
        default:
            throw .invalidRequest("'content' must be a string or an array of parts.", param: param)
        }
    }

    /// Anthropic wants alternating roles: consecutive same-role turns (tool results and the user text
    /// after them, say) become one message, and empty ones disappear.
    private static func mergedTurns(_ turns: [(role: String, blocks: [JSONValue])]) -> [JSONValue] {
        var merged: [(role: String, blocks: [JSONValue])] = []
        for turn in turns where !turn.blocks.isEmpty {
            if let last = merged.last, last.role == turn.role {
                merged[merged.count - 1].blocks += turn.blocks
            } else {
                merged.append(turn)
            }
        }
        return merged.map { ["role": .string($0.role), "content": collapsedContent($0.blocks)] }
    }

    /// A lone plain text block is sent as a string, the form every Anthropic example uses.
    private static func collapsedContent(_ blocks: [JSONValue]) -> JSONValue {
        if blocks.count == 1, let only = blocks[0].objectValue, only.count == 2, only["type"] == "text",
            let text = only["text"]
        {
            return text
        }
        return .array(blocks)
    }

    // MARK: Tools

    private static func anthropicTool(from tool: JSONValue, param: String) throws(AnthropicError) -> JSONValue {
        guard tool["type"]?.stringValue ?? "function" == "function", let function = tool["function"],
            let name = function["name"]?.nonEmptyString
        else {
            throw .invalidRequest("Only function tools with a name are supported by this provider.", param: param)
        }
        var result: [String: JSONValue] = [
            "name": .string(name),
            "input_schema": function["parameters"].ifNotNull ?? ["type": "object", "properties": [:]],
        ]
        if let description = function["description"]?.nonEmptyString { result["description"] = .string(description) }
        if let cacheControl = tool["cache_control"].ifNotNull { result["cache_control"] = cacheControl }
        return .object(result)
    }

    private static func anthropicToolChoice(from choice: JSONValue?) throws(AnthropicError) -> JSONValue? {
        switch choice {
        case nil: return nil
        case .string("auto")?: return ["type": "auto"]
        case .string("required")?: return ["type": "any"]
        case .string("none")?: return ["type": "none"]
        case .object(let object)? where object["type"] == "function":
            guard let name = object["function"]?["name"]?.nonEmptyString else {
                throw .invalidRequest("A named tool_choice needs 'function.name'.", param: "tool_choice")
            }
            return ["type": "tool", "name": .string(name)]
        default:
            throw .invalidRequest("Unsupported tool_choice.", param: "tool_choice")
        }
    }
}
