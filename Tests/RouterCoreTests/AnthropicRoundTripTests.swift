import Testing

@testable import RouterCore

/// A client that talks OpenAI to an Anthropic upstream sends the assistant turn it received back in
/// its next request; thinking blocks and tool calls must reach Anthropic exactly as Anthropic sent them.
@Suite struct AnthropicRoundTripTests {
    private func nextRequest(replaying assistant: JSONValue) throws -> JSONValue {
        let chat: JSONValue = [
            "model": "claude",
            "messages": [["role": "user", "content": "Are there infinitely many primes?"], assistant, ["role": "user", "content": "Thanks!"]],
        ]
        return try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "claude-sonnet-4-5")
    }

    @Test func thinkingAndSignaturesSurviveANonStreamingRoundTrip() throws {
        let response = try AnthropicFixtures.json("response-thinking.json")
        let completion = AnthropicResponseTranslator.chatCompletion(fromMessagesResponse: response, created: 1)
        let assistant = try #require(completion["choices"]?.arrayValue?.first?["message"])

        let request = try nextRequest(replaying: assistant)
        let replayed = try #require(request["messages"]?.arrayValue?[1])
        #expect(replayed["role"] == "assistant")
        #expect(replayed["content"] == response["content"])
    }

    @Test func toolUseSurvivesARoundTrip() throws {
        let response = try AnthropicFixtures.json("response-tool-use.json")
        let completion = AnthropicResponseTranslator.chatCompletion(fromMessagesResponse: response, created: 1)
        let assistant = try #require(completion["choices"]?.arrayValue?.first?["message"])
        let chat: JSONValue = [
            "messages": [
                ["role": "user", "content": "Weather in SF?"],
                assistant,
                ["role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "15°C"],
            ]
        ]
        let request = try AnthropicRequestTranslator.messagesRequest(fromChat: chat, upstreamModel: "m")
        let messages = try #require(request["messages"]?.arrayValue)
        #expect(messages[1]["content"] == response["content"])
        #expect(messages[2] == ["role": "user", "content": [["type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15°C"]]])
    }

    @Test func thinkingSurvivesAStreamingRoundTrip() throws {
        // Accumulate the chunks the way an OpenAI client does, keeping the extra fields.
        let (outputs, _) = try AnthropicFixtures.translate("stream-thinking.sse")
        var content = ""
        var reasoning = ""
        var thinkingBlocks: [JSONValue] = []
        for delta in outputs.compactMap(\.delta) {
            content += delta["content"]?.stringValue ?? ""
            reasoning += delta["reasoning_content"]?.stringValue ?? ""
            thinkingBlocks += delta["thinking_blocks"]?.arrayValue ?? []
        }
        let assistant: JSONValue = [
            "role": "assistant", "content": .string(content), "reasoning_content": .string(reasoning), "thinking_blocks": .array(thinkingBlocks),
        ]
        let request = try nextRequest(replaying: assistant)
        let replayed = try #require(request["messages"]?.arrayValue?[1])
        #expect(replayed["content"] == [
            [
                "type": "thinking",
                "thinking": "Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3",
                "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
            ],
            ["type": "text", "text": "27 * 453 = 12,231"],
        ])
    }

    @Test func reasoningWithoutSignatureIsNotSentBack() throws {
        // Anthropic rejects unsigned thinking; text alone is replayed.
        let assistant: JSONValue = ["role": "assistant", "content": "Yes.", "reasoning_content": "Some thoughts"]
        let request = try nextRequest(replaying: assistant)
        #expect(request["messages"]?.arrayValue?[1] == ["role": "assistant", "content": "Yes."])
    }
}
