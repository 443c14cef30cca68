import Foundation

/// OpenAI `chat.completion.chunk` stream → Anthropic Messages stream events, for `POST /v1/messages`
/// served by an OpenAI-speaking provider.
///
/// Emits `message_start`, then per content block `content_block_start` / deltas / `content_block_stop`
/// (text, thinking from `reasoning_content`, and tool_use with `input_json_delta`), then
/// `message_delta` (stop reason and usage) and `message_stop`. The end waits for `[DONE]` (or
/// `finish()`), because OpenAI's usage chunk comes after the one with the finish reason.
package struct ChatStreamToAnthropicTranslator: Sendable {
    private enum BlockKind: Equatable {
        case text
        case thinking
        case toolUse(openAIIndex: Int)
    }

    private var messageID: String
    private let model: String
    private var started = false
    private var openBlock: (index: Int, kind: BlockKind)?
    private var nextBlockIndex = 0
    /// OpenAI tool call index → Anthropic content block index.
    private var blockIndexByToolCall: [Int: Int] = [:]
    private var stopReason: String?
    /// Token counts so far; final once `isFinished`. For the access log.
    package private(set) var usage = AnthropicUsage()
    package private(set) var isFinished = false

    /// `model` is the name to report (the client's requested model); `messageID` is used when the
    /// upstream's chunks carry no id.
    package init(model: String, messageID: String = "msg_localrouter") {
        self.model = model
        self.messageID = messageID
    }

    /// Translates one upstream SSE event (`data: {chunk}`, `data: [DONE]`, or `data: {"error":…}`).
    package mutating func translate(_ event: ServerSentEvent) -> [ServerSentEvent] {
        guard !isFinished else { return [] }
        let text = event.data.trimmingCharacters(in: .whitespaces)
        if text == "[DONE]" { return finish() }
        guard let chunk = JSONValue.parseIfJSON(text), chunk.objectValue != nil else {
            return fail(AnthropicError(type: "api_error", message: "Malformed chunk from upstream: \(text.prefix(200))"))
        }
        return translate(chunk: chunk)
    }

    package mutating func translate(chunk: JSONValue) -> [ServerSentEvent] {
        guard !isFinished else { return [] }
        if let error = chunk["error"].ifNotNull {
            return fail(AnthropicError(openAIStreamError: error))
        }
        var events = startIfNeeded(chunk)
        if let usage = chunk["usage"].ifNotNull { self.usage = AnthropicUsage(openAIUsage: usage) }
        for choice in chunk["choices"]?.arrayValue ?? [] {
            let delta = choice["delta"]
            if let reasoning = (delta?["reasoning_content"] ?? delta?["reasoning"])?.nonEmptyString {
                events += ensureBlock(.thinking, start: ["type": "thinking", "thinking": "", "signature": ""])
                events.append(blockDelta(["type": "thinking_delta", "thinking": .string(reasoning)]))
            }
            if let content = delta?["content"]?.nonEmptyString {
                events += ensureBlock(.text, start: ["type": "text", "text": ""])
                events.append(blockDelta(["type": "text_delta", "text": .string(content)]))
            }
            for (position, call) in (delta?["tool_calls"].ifNotNull?.arrayValue ?? []).enumerated() {
                events += toolCallDelta(call, fallbackIndex: position)
            }
            if let reason = choice["finish_reason"]?.nonEmptyString {
                stopReason = AnthropicInboundTranslator.stopReason(fromFinishReason: reason)
                events += closeOpenBlock()
            }
        }
        return events
    }

    /// Ends the message: closes the open block and sends `message_delta` and `message_stop`.
    /// Safe to call more than once; call it when the upstream ends without `[DONE]`.
    package mutating func finish() -> [ServerSentEvent] {
        guard !isFinished else { return [] }
        var events = startIfNeeded(nil)
        events += closeOpenBlock()
        isFinished = true
        events.append(anthropicEvent("message_delta", [
            "type": "message_delta",
            "delta": ["stop_reason": .string(stopReason ?? "end_turn"), "stop_sequence": .null],
            "usage": usage.anthropicUsage,
        ]))
        events.append(anthropicEvent("message_stop", ["type": "message_stop"]))
        return events
    }

    /// Ends the stream with Anthropic's `error` event.
    private mutating func fail(_ error: AnthropicError) -> [ServerSentEvent] {
        isFinished = true
        return [anthropicEvent("error", error.anthropicBody)]
    }

    private mutating func startIfNeeded(_ chunk: JSONValue?) -> [ServerSentEvent] {
        guard !started else { return [] }
        started = true
        if let id = chunk?["id"]?.nonEmptyString {
            messageID = AnthropicInboundTranslator.anthropicMessageID(fromChatID: id)
        }
        return [anthropicEvent("message_start", [
            "type": "message_start",
            "message": [
                "id": .string(messageID),
                "type": "message",
                "role": "assistant",
                "model": .string(model),
                "content": [],
                "stop_reason": .null,
                "stop_sequence": .null,
                // OpenAI reports usage only at the end; message_delta carries the real counts.
                "usage": ["input_tokens": 0, "output_tokens": 0],
            ],
        ])]
    }

    private mutating func toolCallDelta(_ call: JSONValue, fallbackIndex: Int) -> [ServerSentEvent] {
        let openAIIndex = call["index"]?.intValue ?? fallbackIndex
        var events: [ServerSentEvent] = []
        if blockIndexByToolCall[openAIIndex] == nil {
            events += closeOpenBlock()
            let index = nextBlockIndex
            nextBlockIndex += 1
            blockIndexByToolCall[openAIIndex] = index
            openBlock = (index, .toolUse(openAIIndex: openAIIndex))
            events.append(anthropicEvent("content_block_start", [
                "type": "content_block_start",
                "index": .integer(Int64(index)),
                "content_block": [
                    "type": "tool_use",
                    "id": .string(call["id"]?.stringValue ?? "toolu_\(openAIIndex)"),
                    "name": call["function"]?["name"] ?? "",
                    "input": [:],
                ],
            ]))
        }
        if let fragment = call["function"]?["arguments"]?.nonEmptyString, let index = blockIndexByToolCall[openAIIndex] {
            // A fragment for an earlier, already closed call (interleaved upstream) still goes to its own
            // index, where the SDKs' accumulators find it.
            events.append(anthropicEvent("content_block_delta", [
                "type": "content_block_delta",
                "index": .integer(Int64(index)),
                "delta": ["type": "input_json_delta", "partial_json": .string(fragment)],
            ]))
        }
        return events
    }

    private mutating func ensureBlock(_ kind: BlockKind, start: JSONValue) -> [ServerSentEvent] {
        if let openBlock, openBlock.kind == kind { return [] }
        var events = closeOpenBlock()
        let index = nextBlockIndex
        nextBlockIndex += 1
        openBlock = (index, kind)
        events.append(anthropicEvent("content_block_start", [
            "type": "content_block_start", "index": .integer(Int64(index)), "content_block": start,
        ]))
        return events
    }

    private func blockDelta(_ delta: JSONValue) -> ServerSentEvent {
        anthropicEvent("content_block_delta", [
            "type": "content_block_delta", "index": .integer(Int64(openBlock?.index ?? 0)), "delta": delta,
        ])
    }

    private mutating func closeOpenBlock() -> [ServerSentEvent] {
        guard let block = openBlock else { return [] }
        openBlock = nil
        return [anthropicEvent("content_block_stop", ["type": "content_block_stop", "index": .integer(Int64(block.index))])]
    }

    private func anthropicEvent(_ name: String, _ data: JSONValue) -> ServerSentEvent {
        ServerSentEvent(event: name, data: data.sortedCompactJSON)
    }
}
