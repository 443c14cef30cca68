import Testing

@testable import RouterCore

@Suite struct AnthropicStreamTranslatorTests {
    @Test func plainTextStream() throws {
        let (outputs, translator) = try AnthropicFixtures.translate("stream-text.sse")
        let chunks = outputs.compactMap(\.chunk)
        #expect(chunks.count == outputs.count)
        #expect(chunks.count == 5)  // role, "Hello", "!", finish, usage; the ping produced nothing.

        let first = chunks[0]
        #expect(first["id"] == "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY")
        #expect(first["object"] == "chat.completion.chunk")
        #expect(first["created"] == 1_700_000_000)
        #expect(first["model"] == "claude-opus-4-1-20250805")
        #expect(outputs[0].delta == ["role": "assistant", "content": ""])
        #expect(outputs[1].delta == ["content": "Hello"])
        #expect(outputs[2].delta == ["content": "!"])
        #expect(chunks[3]["choices"]?.arrayValue?.first?["finish_reason"] == "stop")
        #expect(outputs[3].delta == [:])

        #expect(chunks[4]["choices"] == [])
        #expect(chunks[4]["usage"] == [
            "prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40, "prompt_tokens_details": ["cached_tokens": 0],
        ])
        #expect(translator.usage == AnthropicUsage(inputTokens: 25, outputTokens: 15))
        #expect(translator.finishReason == "stop")
        #expect(translator.isFinished)
    }

    @Test func singleToolCallStreamsHeadThenFragments() throws {
        let (outputs, _) = try AnthropicFixtures.translate("stream-tool-use.sse")
        let toolDeltas = outputs.compactMap { $0.delta?["tool_calls"]?.arrayValue?.first }
        #expect(toolDeltas.first == [
            "index": 0, "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "type": "function",
            "function": ["name": "get_weather", "arguments": ""],
        ])
        // Eight non-empty fragments, all under index 0, which concatenate to the full arguments.
        let fragments = toolDeltas.dropFirst()
        #expect(fragments.count == 8)
        #expect(fragments.allSatisfy { $0["index"] == 0 && $0["id"] == nil })
        let arguments = fragments.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        #expect(JSONValue.parseIfJSON(arguments) == ["location": "San Francisco, CA", "unit": "fahrenheit"])

        let text = outputs.compactMap { $0.delta?["content"]?.stringValue }.joined()
        #expect(text == "Okay, let's check the weather for San Francisco, CA:")
        let finish = outputs.compactMap { $0.chunk?["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue }
        #expect(finish == ["tool_calls"])
    }

    @Test func parallelToolCallsKeepTheirOwnIndexAndCacheUsageCounts() throws {
        let (outputs, translator) = try AnthropicFixtures.translate("stream-parallel-tools.sse")
        let toolDeltas = outputs.compactMap { $0.delta?["tool_calls"]?.arrayValue?.first }
        // Content blocks 1 and 2 are OpenAI tool calls 0 and 1.
        #expect(toolDeltas.map { $0["index"] } == [0, 0, 0, 1, 1, 1])
        #expect(toolDeltas.compactMap { $0["id"]?.stringValue } == ["toolu_01A", "toolu_01B"])
        func arguments(_ index: JSONValue) -> String {
            toolDeltas.filter { $0["index"] == index }.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        }
        #expect(arguments(0) == #"{"location": "Paris"}"#)
        #expect(arguments(1) == #"{"location": "Tokyo"}"#)

        let usageChunk = try #require(outputs.last?.chunk)
        #expect(usageChunk["usage"] == [
            "prompt_tokens": 2120, "completion_tokens": 96, "total_tokens": 2216, "prompt_tokens_details": ["cached_tokens": 1800],
        ])
        #expect(translator.usage == AnthropicUsage(inputTokens: 120, outputTokens: 96, cacheReadInputTokens: 1800, cacheCreationInputTokens: 200))
    }

    @Test func thinkingStreamsAsReasoningAndSignatureCompletesTheBlock() throws {
        let (outputs, _) = try AnthropicFixtures.translate("stream-thinking.sse")
        let reasoning = outputs.compactMap { $0.delta?["reasoning_content"]?.stringValue }
        #expect(reasoning == ["Let me solve this step by step:\n\n1. First break down 27 * 453", "\n2. 453 = 400 + 50 + 3"])
        let blocks = outputs.compactMap { $0.delta?["thinking_blocks"] }
        #expect(blocks == [[
            [
                "type": "thinking",
                "thinking": "Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3",
                "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
            ]
        ]])
        #expect(outputs.compactMap { $0.delta?["content"]?.stringValue }.joined() == "27 * 453 = 12,231")
    }

    @Test func errorEventMidStreamIsReturnedDistinctly() throws {
        let (outputs, translator) = try AnthropicFixtures.translate("stream-error.sse")
        #expect(outputs.count == 3)  // role, "Once upon", error; ping ignored.
        #expect(outputs[1].delta == ["content": "Once upon"])
        guard case .error(let error) = outputs[2] else {
            Issue.record("expected an error output, got \(outputs[2])")
            return
        }
        #expect(error.type == "overloaded_error")
        #expect(error.isRetryable)
        #expect(error.openAIBody == ["error": ["message": "Overloaded", "type": "server_error", "param": nil, "code": "overloaded"]])
        #expect(translator.isFinished)
        #expect(translator.finishReason == nil)
    }

    @Test func malformedEventBecomesAnError() {
        var translator = AnthropicStreamTranslator(created: 0)
        let outputs = translator.translate(ServerSentEvent(event: "content_block_delta", data: "{not json"))
        guard case .error(let error)? = outputs.first else {
            Issue.record("expected an error output")
            return
        }
        #expect(error.type == "api_error")
    }

    @Test func serverToolFragmentsAreNotToolCalls() {
        var translator = AnthropicStreamTranslator(created: 0)
        var outputs: [AnthropicStreamTranslator.Output] = []
        for data in [
            #"{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":1,"output_tokens":1}}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"x\"}"}}"#,
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
        ] {
            outputs += translator.translate(ServerSentEvent(data: data))
        }
        let toolDeltas = outputs.compactMap { $0.delta?["tool_calls"]?.arrayValue?.first }
        #expect(toolDeltas.count == 1)
        #expect(toolDeltas.first?["index"] == 0)
        #expect(toolDeltas.first?["id"] == "toolu_1")
    }
}
