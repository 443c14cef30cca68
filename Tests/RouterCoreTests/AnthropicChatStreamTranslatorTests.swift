import Foundation
import Testing

@testable import RouterCore

@Suite struct AnthropicChatStreamTranslatorTests {
    private func translate(_ name: String) throws -> ([ServerSentEvent], ChatStreamToAnthropicTranslator) {
        var translator = ChatStreamToAnthropicTranslator(model: "claude-sonnet-4-5")
        var events: [ServerSentEvent] = []
        for event in try AnthropicFixtures.events(name) { events += translator.translate(event) }
        events += translator.finish()  // After [DONE] this must add nothing.
        return (events, translator)
    }

    @Test func textStreamBecomesAnthropicEventSequence() throws {
        let (events, translator) = try translate("openai-stream-text.sse")
        #expect(events.map(\.event) == [
            "message_start", "content_block_start", "content_block_delta", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop",
        ])
        // The SSE event name matches the data's type, as Anthropic sends it.
        #expect(events.allSatisfy { $0.parsedData?["type"]?.stringValue == $0.event })
        let start = try #require(events[0].parsedData?["message"])
        #expect(start["id"] == "msg_456")
        #expect(start["model"] == "claude-sonnet-4-5")
        #expect(start["role"] == "assistant")
        #expect(start["content"] == [])
        #expect(events[1].parsedData?["content_block"] == ["type": "text", "text": ""])
        #expect(events[2].parsedData?["delta"] == ["type": "text_delta", "text": "Hello"])
        #expect(events[3].parsedData?["delta"] == ["type": "text_delta", "text": " there!"])
        #expect(events[4].parsedData == ["type": "content_block_stop", "index": 0])
        let messageDelta = try #require(events[5].parsedData)
        #expect(messageDelta["delta"] == ["stop_reason": "max_tokens", "stop_sequence": nil])
        #expect(messageDelta["usage"] == ["input_tokens": 9, "output_tokens": 3, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0])
        #expect(translator.usage == AnthropicUsage(inputTokens: 9, outputTokens: 3))
        #expect(translator.isFinished)
    }

    @Test func parallelToolCallsBecomeToolUseBlocks() throws {
        let (events, translator) = try translate("openai-stream-tools.sse")
        #expect(events.map(\.event) == [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ])
        let json = events.compactMap(\.parsedData)
        #expect(json[4]["index"] == 1)
        #expect(json[4]["content_block"] == ["type": "tool_use", "id": "call_paris", "name": "get_weather", "input": [:]])
        #expect(json[5]["delta"] == ["type": "input_json_delta", "partial_json": #"{"location":"#])
        #expect(json[6]["delta"] == ["type": "input_json_delta", "partial_json": #" "Paris"}"#])
        #expect(json[6]["index"] == 1)
        #expect(json[8]["index"] == 2)
        #expect(json[8]["content_block"]?["id"] == "call_tokyo")
        #expect(json[9]["index"] == 2)
        #expect(json[11]["delta"]?["stop_reason"] == "tool_use")
        #expect(translator.usage == AnthropicUsage(inputTokens: 82, outputTokens: 40, cacheReadInputTokens: 128))
    }

    @Test func reasoningContentBecomesAThinkingBlock() {
        var translator = ChatStreamToAnthropicTranslator(model: "m")
        var events: [ServerSentEvent] = []
        events += translator.translate(chunk: ["id": "chatcmpl-r", "choices": [["index": 0, "delta": ["reasoning_content": "Hmm."]]]])
        events += translator.translate(chunk: ["id": "chatcmpl-r", "choices": [["index": 0, "delta": ["content": "Yes."]]]])
        events += translator.translate(chunk: ["id": "chatcmpl-r", "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]])
        events += translator.finish()
        #expect(events.map(\.event) == [
            "message_start", "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ])
        #expect(events[2].parsedData?["delta"] == ["type": "thinking_delta", "thinking": "Hmm."])
        #expect(events[5].parsedData?["index"] == 1)
        #expect(events[7].parsedData?["delta"]?["stop_reason"] == "end_turn")
    }

    @Test func upstreamErrorMidStreamBecomesAnthropicErrorEvent() throws {
        let (events, translator) = try translate("openai-stream-error.sse")
        #expect(events.map(\.event) == ["message_start", "content_block_start", "content_block_delta", "error"])
        #expect(events[3].parsedData == ["type": "error", "error": ["type": "api_error", "message": "The server had an error while processing your request."]])
        #expect(translator.isFinished)
    }

    @Test func streamEndingWithoutDoneIsClosedByFinish() {
        var translator = ChatStreamToAnthropicTranslator(model: "m")
        var events = translator.translate(ServerSentEvent(data: #"{"id":"chatcmpl-x","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#))
        events += translator.finish()
        events += translator.finish()
        #expect(events.map(\.event) == [
            "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ])
    }
}
