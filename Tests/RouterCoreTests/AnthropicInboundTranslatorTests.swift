import Testing

@testable import RouterCore

@Suite struct AnthropicInboundTranslatorTests {
    @Test func messagesRequestFixtureBecomesChatRequest() throws {
        let chat = try AnthropicInboundTranslator.chatRequest(
            fromMessages: try AnthropicFixtures.json("messages-request-tools.json"), upstreamModel: "gpt-4o")
        #expect(chat["model"] == "gpt-4o")
        #expect(chat["messages"] == [
            ["role": "system", "content": "You are a helpful weather assistant.\nAnswer briefly."],
            [
                "role": "user",
                "content": [
                    ["type": "text", "text": "What's the weather in Paris? Here is a photo."],
                    ["type": "image_url", "image_url": ["url": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="]],
                ],
            ],
            // Thinking is dropped; text and tool_use come back as content and tool_calls.
            [
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [["id": "toolu_01A", "type": "function", "function": ["name": "get_weather", "arguments": #"{"location":"Paris"}"#]]],
            ],
            ["role": "tool", "tool_call_id": "toolu_01A", "content": "18°C, cloudy"],
            ["role": "user", "content": "Thanks. Is that warm?"],
        ])
        #expect(chat["tools"] == [
            [
                "type": "function",
                "function": [
                    "name": "get_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": ["type": "object", "properties": ["location": ["type": "string"]], "required": ["location"]],
                ],
            ]
        ])
        #expect(chat["tool_choice"] == "required")
        #expect(chat["parallel_tool_calls"] == false)
        #expect(chat["stop"] == ["END", "STOP"])
        #expect(chat["max_tokens"] == 1024)
        #expect(chat["temperature"] == 0.7)
        #expect(chat["stream"] == true)
        #expect(chat["stream_options"] == ["include_usage": true])
        #expect(chat["user"] == "user-1234")
        for key in ["thinking", "top_k", "metadata", "system", "stop_sequences"] {
            #expect(chat[key] == nil, "\(key) should not be sent to an OpenAI upstream")
        }
    }

    @Test func maxCompletionTokensOnRequest() throws {
        let request: JSONValue = ["max_tokens": 50, "messages": [["role": "user", "content": "Hi"]]]
        let chat = try AnthropicInboundTranslator.chatRequest(fromMessages: request, upstreamModel: "o3", useMaxCompletionTokens: true)
        #expect(chat["max_completion_tokens"] == 50)
        #expect(chat["max_tokens"] == nil)
        #expect(chat["messages"] == [["role": "user", "content": "Hi"]])
        #expect(chat["stream"] == nil)
    }

    @Test(arguments: [("auto", "auto"), ("any", "required"), ("none", "none")])
    func toolChoiceMapping(anthropic: String, openAI: String) throws {
        let request: JSONValue = [
            "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]],
            "tools": [["name": "f", "input_schema": ["type": "object"]]], "tool_choice": ["type": .string(anthropic)],
        ]
        let chat = try AnthropicInboundTranslator.chatRequest(fromMessages: request, upstreamModel: "m")
        #expect(chat["tool_choice"] == .string(openAI))
        #expect(chat["parallel_tool_calls"] == nil)
    }

    @Test func namedToolChoice() throws {
        let request: JSONValue = [
            "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]],
            "tools": [["name": "f", "input_schema": ["type": "object"]]], "tool_choice": ["type": "tool", "name": "f"],
        ]
        let chat = try AnthropicInboundTranslator.chatRequest(fromMessages: request, upstreamModel: "m")
        #expect(chat["tool_choice"] == ["type": "function", "function": ["name": "f"]])
    }

    @Test func serverToolsAndMissingMessagesAreRejected() {
        let serverTool: JSONValue = [
            "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]],
            "tools": [["type": "web_search_20250305", "name": "web_search"]],
        ]
        #expect(throws: AnthropicError.self) {
            try AnthropicInboundTranslator.chatRequest(fromMessages: serverTool, upstreamModel: "m")
        }
        do {
            _ = try AnthropicInboundTranslator.chatRequest(fromMessages: ["max_tokens": 10], upstreamModel: "m")
            Issue.record("expected an error")
        } catch {
            #expect(error.param == "messages")
            #expect(error.anthropicBody["error"]?["type"] == "invalid_request_error")
        }
    }

    @Test func chatCompletionWithToolCallsBecomesAnthropicMessage() throws {
        let message = AnthropicInboundTranslator.messagesResponse(
            fromChatCompletion: try AnthropicFixtures.json("openai-completion-tool.json"), model: "claude-sonnet-4-5")
        #expect(message == [
            "id": "msg_B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [
                ["type": "tool_use", "id": "call_abc123", "name": "get_weather", "input": ["location": "Paris"]],
                ["type": "tool_use", "id": "call_def456", "name": "get_weather", "input": ["location": "Tokyo"]],
            ],
            "stop_reason": "tool_use",
            "stop_sequence": nil,
            // 1117 prompt tokens of which 1024 cached.
            "usage": ["input_tokens": 93, "output_tokens": 46, "cache_read_input_tokens": 1024, "cache_creation_input_tokens": 0],
        ])
    }

    @Test(arguments: [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal")])
    func finishReasons(finishReason: String, stopReason: String) {
        #expect(AnthropicInboundTranslator.stopReason(fromFinishReason: finishReason) == stopReason)
    }

    @Test func textCompletionAndBrokenArguments() {
        let completion: JSONValue = [
            "id": "chatcmpl-1", "model": "gpt-4o",
            "choices": [[
                "index": 0, "finish_reason": "stop",
                "message": [
                    "role": "assistant", "content": "Sure.",
                    "tool_calls": [["id": "c1", "type": "function", "function": ["name": "f", "arguments": "{broken"]]],
                ],
            ]],
        ]
        let message = AnthropicInboundTranslator.messagesResponse(fromChatCompletion: completion)
        #expect(message["model"] == "gpt-4o")
        #expect(message["content"] == [
            ["type": "text", "text": "Sure."],
            ["type": "tool_use", "id": "c1", "name": "f", "input": ["arguments": "{broken"]],
        ])
        #expect(message["stop_reason"] == "end_turn")
    }
}
