import Testing

@testable import RouterCore

@Suite struct AnthropicRequestTranslatorTests {
    @Test func plainTextGetsDefaultMaxTokensAndUpstreamModel() throws {
        let chat: JSONValue = ["model": "claude-fast", "messages": [["role": "user", "content": "Hello"]]]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "claude-sonnet-4-5")
        #expect(request == [
            "model": "claude-sonnet-4-5",
            "max_tokens": 4096,
            "messages": [["role": "user", "content": "Hello"]],
        ])
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {
        let chat: JSONValue = [
            "messages": [["role": "user", "content": "Hi"]], "max_tokens": 100, "max_completion_tokens": 200,
        ]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        #expect(request["max_tokens"] == 200)
        let onlyMaxTokens = try AnthropicRequestTranslator.messagesRequest(
            fromChat: ["messages": [["role": "user", "content": "Hi"]], "max_tokens": 100], upstreamModel: "m")
        #expect(onlyMaxTokens["max_tokens"] == 100)
    }

    @Test func conversationFixtureTranslatesEveryPart() throws {
        let request = try AnthropicRequestTranslator.messagesRequest(
            fromChat: try AnthropicFixtures.json("chat-request-conversation.json"), upstreamModel: "claude-sonnet-4-5")

        #expect(request["system"] == [
            ["type": "text", "text": "You are a helpful weather assistant."],
            ["type": "text", "text": "Answer briefly."],
        ])
        let messages = try #require(request["messages"]?.arrayValue)
        #expect(messages.count == 3)

        #expect(messages[0] == [
            "role": "user",
            "content": [
                ["type": "text", "text": "What's the weather in Paris and Tokyo? Here is a map."],
                ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="]],
                ["type": "image", "source": ["type": "url", "url": "https://example.com/map.jpg"]],
            ],
        ])
        #expect(messages[1] == [
            "role": "assistant",
            "content": [
                ["type": "tool_use", "id": "call_paris", "name": "get_weather", "input": ["location": "Paris"]],
                ["type": "tool_use", "id": "call_tokyo", "name": "get_weather", "input": ["location": "Tokyo", "unit": "celsius"]],
            ],
        ])
        // Both tool results and the user's next question are one user message, results first.
        #expect(messages[2] == [
            "role": "user",
            "content": [
                ["type": "tool_result", "tool_use_id": "call_paris", "content": "18°C, cloudy"],
                ["type": "tool_result", "tool_use_id": "call_tokyo", "content": [["type": "text", "text": "24°C, sunny"]]],
                ["type": "text", "text": "Which one is warmer?"],
            ],
        ])

        #expect(request["tools"] == [
            [
                "name": "get_weather",
                "description": "Get the current weather in a given location",
                "input_schema": [
                    "type": "object",
                    "properties": ["location": ["type": "string"], "unit": ["type": "string", "enum": ["celsius", "fahrenheit"]]],
                    "required": ["location"],
                ],
            ]
        ])
        #expect(request["tool_choice"] == ["type": "any", "disable_parallel_tool_use": true])
        #expect(request["temperature"] == 0.2)
        #expect(request["top_p"] == 0.9)
        #expect(request["stop_sequences"] == ["END"])
        #expect(request["stream"] == true)
        #expect(request["metadata"] == ["user_id": "user-1234"])
        #expect(request["max_tokens"] == 4096)
        // OpenAI-only fields are dropped.
        for key in ["stream_options", "frequency_penalty", "logit_bias", "seed", "response_format", "user", "parallel_tool_calls", "stop"] {
            #expect(request[key] == nil, "\(key) should be dropped")
        }
    }

    static let toolChoices: [(JSONValue, JSONValue)] = [
        ("auto", ["type": "auto"]),
        ("required", ["type": "any"]),
        ("none", ["type": "none"]),
        (["type": "function", "function": ["name": "get_weather"]], ["type": "tool", "name": "get_weather"]),
    ]

    @Test(arguments: toolChoices)
    func toolChoiceMapping(choice: JSONValue, expected: JSONValue) throws {
        let chat: JSONValue = [
            "messages": [["role": "user", "content": "Hi"]],
            "tools": [["type": "function", "function": ["name": "get_weather"]]],
            "tool_choice": choice,
        ]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        #expect(request["tool_choice"] == expected)
        // A tool without parameters still gets the object schema Anthropic requires.
        #expect(request["tools"]?.arrayValue?.first?["input_schema"] == ["type": "object", "properties": [:]])
    }

    @Test func parallelToolCallsFalseWithoutToolChoiceDisablesParallelUseUnderAuto() throws {
        let chat: JSONValue = [
            "messages": [["role": "user", "content": "Hi"]],
            "tools": [["type": "function", "function": ["name": "f"]]],
            "parallel_tool_calls": false,
        ]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        #expect(request["tool_choice"] == ["type": "auto", "disable_parallel_tool_use": true])
    }

    @Test func stopArrayAndConsecutiveUserMessagesMerge() throws {
        let chat: JSONValue = [
            "messages": [
                ["role": "user", "content": "First"],
                ["role": "user", "content": "Second"],
                ["role": "assistant", "content": ""],
                ["role": "assistant", "content": "Answer"],
            ],
            "stop": ["a", "b"],
        ]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        #expect(request["stop_sequences"] == ["a", "b"])
        #expect(request["messages"] == [
            ["role": "user", "content": [["type": "text", "text": "First"], ["type": "text", "text": "Second"]]],
            ["role": "assistant", "content": "Answer"],
        ])
    }

    @Test func singleSystemStringStaysAString() throws {
        let chat: JSONValue = ["messages": [["role": "system", "content": "Be terse."], ["role": "user", "content": "Hi"]]]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        #expect(request["system"] == "Be terse.")
        #expect(request["messages"] == [["role": "user", "content": "Hi"]])
    }

    static let invalidChats: [(JSONValue, String)] = {
        let audio: JSONValue = ["type": "input_audio", "input_audio": ["data": "x"]]
        let ftpImage: JSONValue = ["type": "image_url", "image_url": ["url": "ftp://x/y.png"]]
        let badCall: JSONValue = ["id": "c", "type": "function", "function": ["name": "f", "arguments": "{not json"]]
        let hello: JSONValue = ["role": "user", "content": "Hi"]
        return [
            (["model": "x"], "messages"),
            (["messages": []], "messages"),
            (["messages": [["content": "no role"]]], "messages[0].role"),
            (["messages": [["role": "user", "content": [audio]]]], "messages[0].content[0].type"),
            (["messages": [["role": "user", "content": [ftpImage]]]], "messages[0].content[0].image_url.url"),
            (["messages": [["role": "tool", "content": "orphan"]]], "messages[0].tool_call_id"),
            (["messages": [["role": "assistant", "tool_calls": [badCall]]]], "messages[0].tool_calls[0].function.arguments"),
            (["messages": [hello], "n": 2], "n"),
        ]
    }()

    @Test(arguments: invalidChats)
    func invalidRequestsThrowOpenAIStyleErrors(chat: JSONValue, param: String) {
        #expect {
            try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        } throws: { error in
            guard let error = error as? AnthropicError else { return false }
            let body = error.openAIBody["error"]
            return error.status == 400 && body?["type"] == "invalid_request_error" && body?["param"] == .string(param)
                && body?["message"]?.nonEmptyString != nil
        }
    }
}
