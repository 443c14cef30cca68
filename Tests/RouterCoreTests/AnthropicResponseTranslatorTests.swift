import Testing

@testable import RouterCore

@Suite struct AnthropicResponseTranslatorTests {
    @Test func plainTextResponse() throws {
        let completion = AnthropicResponseTranslator.chatCompletion(
            fromMessagesResponse: try AnthropicFixtures.json("response-text.json"), created: 1_700_000_000)
        #expect(completion == [
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "claude-3-7-sonnet-20250219",
            "choices": [
                [
                    "index": 0,
                    "message": ["role": "assistant", "content": "Hi! My name is Claude.", "refusal": nil],
                    "logprobs": nil,
                    "finish_reason": "stop",
                ]
            ],
            "usage": ["prompt_tokens": 2095, "completion_tokens": 503, "total_tokens": 2598, "prompt_tokens_details": ["cached_tokens": 0]],
        ])
    }

    @Test func textAndToolUseBecomeContentAndToolCalls() throws {
        let completion = AnthropicResponseTranslator.chatCompletion(
            fromMessagesResponse: try AnthropicFixtures.json("response-tool-use.json"), created: 1)
        let choice = try #require(completion["choices"]?.arrayValue?.first)
        #expect(choice["finish_reason"] == "tool_calls")
        #expect(choice["message"]?["content"] == "I'll check the current weather in San Francisco for you.")
        #expect(choice["message"]?["tool_calls"] == [
            [
                "id": "toolu_01A09q90qw90lq917835lq9",
                "type": "function",
                "function": ["name": "get_weather", "arguments": #"{"location":"San Francisco, CA","unit":"celsius"}"#],
            ]
        ])
    }

    @Test func parallelToolCallsWithCacheUsage() throws {
        let completion = AnthropicResponseTranslator.chatCompletion(
            fromMessagesResponse: try AnthropicFixtures.json("response-parallel-tools.json"), created: 1)
        let message = try #require(completion["choices"]?.arrayValue?.first?["message"])
        // Only tool calls: content is null, as OpenAI sends it.
        #expect(message["content"] == .null)
        let calls = try #require(message["tool_calls"]?.arrayValue)
        #expect(calls.map { $0["id"] } == ["toolu_01A", "toolu_01B"])
        #expect(calls[1]["function"]?["arguments"] == #"{"timezone":"Asia/Tokyo"}"#)
        // prompt = 120 uncached + 1800 cache reads + 200 cache writes.
        #expect(completion["usage"] == [
            "prompt_tokens": 2120, "completion_tokens": 96, "total_tokens": 2216, "prompt_tokens_details": ["cached_tokens": 1800],
        ])
    }

    @Test func thinkingBlocksArePreservedVerbatim() throws {
        let response = try AnthropicFixtures.json("response-thinking.json")
        let completion = AnthropicResponseTranslator.chatCompletion(fromMessagesResponse: response, created: 1)
        let message = try #require(completion["choices"]?.arrayValue?.first?["message"])
        #expect(message["content"] == "Yes, there are infinitely many prime numbers such that...")
        #expect(message["reasoning_content"] == "To approach this, let's think about what we know about prime numbers...")
        let original = try #require(response["content"]?.arrayValue)
        #expect(message["thinking_blocks"] == .array(Array(original.prefix(2))))
    }

    @Test(arguments: [
        ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
        ("refusal", "content_filter"), ("pause_turn", "stop"),
    ])
    func stopReasons(stopReason: String, finishReason: String) {
        #expect(AnthropicResponseTranslator.finishReason(fromStopReason: stopReason) == finishReason)
    }

    @Test func refusalFixtureFinishesWithContentFilter() throws {
        let completion = AnthropicResponseTranslator.chatCompletion(
            fromMessagesResponse: try AnthropicFixtures.json("response-refusal.json"), created: 1)
        #expect(completion["choices"]?.arrayValue?.first?["finish_reason"] == "content_filter")
    }
}
