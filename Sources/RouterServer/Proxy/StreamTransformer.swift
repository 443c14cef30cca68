import NIOCore
import RouterCore

/// Turns an upstream SSE stream into the client's, one event at a time. One implementation per
/// pair of wire formats; `StreamRelay` does the I/O around it.
package protocol StreamTransformer: Sendable {
    /// Appends what the client should see for one upstream event (possibly nothing).
    mutating func transform(_ event: ServerSentEvent, into out: inout ByteBuffer)
    /// Called when the upstream ended cleanly. Appends any closing events; returns a failure
    /// message when the stream was incomplete.
    mutating func finish(into out: inout ByteBuffer) -> String?
    /// Token usage seen so far.
    var usage: TokenUsage? { get }
    /// The stream carried an upstream error event (already forwarded).
    var sawUpstreamError: Bool { get }
    /// The event that tells the client the stream failed after it started, in its own format.
    func failureEvent(message: String, code: String) -> String
}

/// OpenAI upstream, OpenAI client: events pass through untouched, except that the usage-only
/// chunk is hidden from a client that did not ask for it.
package struct OpenAIPassthroughTransformer: StreamTransformer {
    let clientWantsUsage: Bool
    package private(set) var usage: TokenUsage?
    package private(set) var sawUpstreamError = false
    private var sawDone = false
    private var sawFinishReason = false

    package init(clientWantsUsage: Bool) {
        self.clientWantsUsage = clientWantsUsage
    }

    package mutating func transform(_ event: ServerSentEvent, into out: inout ByteBuffer) {
        if event.data == "[DONE]" {
            if !sawDone { out.writeString("data: [DONE]\n\n") }
            sawDone = true
            return
        }
        if sawDone { return }
        let data = event.data
        // Cheap textual checks first: only the last one or two events of a stream need decoding.
        if data.contains("\"finish_reason\":\"") || data.contains("\"finish_reason\": \"") { sawFinishReason = true }
        if data.contains("\"usage\":{") || data.contains("\"usage\": {") {
            if let found = UsageScanner.scan(data.utf8) { usage = found }
            if !clientWantsUsage, let json = try? JSONValue.parse(Array(data.utf8)), json["choices"]?.arrayValue?.isEmpty == true {
                return
            }
        }
        if data.hasPrefix("{\"error\"") { sawUpstreamError = true }
        out.writeString(event.serialized)
    }

    package mutating func finish(into out: inout ByteBuffer) -> String? {
        if sawDone || sawUpstreamError { return nil }
        if sawFinishReason {
            // Some OpenAI-compatible servers omit the terminator; the answer itself is complete.
            out.writeString("data: [DONE]\n\n")
            return nil
        }
        return "upstream ended the stream before it was complete"
    }

    package func failureEvent(message: String, code: String) -> String {
        OpenAIError.upstream(status: .badGateway, message: message, code: code).streamEvent
    }
}

/// Anthropic upstream, OpenAI client: Messages events become Chat Completions chunks.
package struct AnthropicToOpenAITransformer: StreamTransformer {
    let clientWantsUsage: Bool
    private var translator: AnthropicStreamTranslator
    package private(set) var sawUpstreamError = false

    package init(clientWantsUsage: Bool, created: Int, model: String) {
        self.clientWantsUsage = clientWantsUsage
        self.translator = AnthropicStreamTranslator(created: created, model: model)
    }

    package var usage: TokenUsage? {
        let usage = translator.usage
        return TokenUsage(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens)
    }

    package mutating func transform(_ event: ServerSentEvent, into out: inout ByteBuffer) {
        for output in translator.translate(event) {
            switch output {
            case .chunk(let chunk):
                if !clientWantsUsage, chunk["choices"]?.arrayValue?.isEmpty == true { continue }
                out.writeString("data: ")
                out.writeBytes(chunk.serialized())
                out.writeString("\n\n")
            case .error(let error):
                sawUpstreamError = true
                out.writeString("data: ")
                out.writeBytes(error.openAIBody.serialized())
                out.writeString("\n\n")
            }
        }
    }

    package mutating func finish(into out: inout ByteBuffer) -> String? {
        if sawUpstreamError { return nil }
        guard translator.isFinished else { return "upstream ended the stream before message_stop" }
        out.writeString("data: [DONE]\n\n")
        return nil
    }

    package func failureEvent(message: String, code: String) -> String {
        OpenAIError.upstream(status: .badGateway, message: message, code: code).streamEvent
    }
}

/// Anthropic upstream, Anthropic client: events pass through untouched; usage is read from
/// `message_start` and `message_delta`.
package struct AnthropicPassthroughTransformer: StreamTransformer {
    package private(set) var sawUpstreamError = false
    private var inputTokens = 0
    private var outputTokens = 0
    private var sawStop = false

    package init() {}

    package var usage: TokenUsage? { TokenUsage(inputTokens: inputTokens, outputTokens: outputTokens) }

    package mutating func transform(_ event: ServerSentEvent, into out: inout ByteBuffer) {
        switch event.event {
        case "message_start", "message_delta":
            if let json = try? JSONValue.parse(Array(event.data.utf8)) {
                let usage = json["message"]?["usage"] ?? json["usage"]
                if let usage {
                    let parsed = AnthropicUsage(anthropicUsage: usage)
                    if event.event == "message_start" {
                        inputTokens = parsed.promptTokens
                        outputTokens = max(outputTokens, parsed.outputTokens)
                    } else {
                        if parsed.promptTokens > 0 { inputTokens = parsed.promptTokens }
                        outputTokens = parsed.outputTokens
                    }
                }
            }
        case "message_stop": sawStop = true
        case "error": sawUpstreamError = true
        default: break
        }
        out.writeString(event.serialized)
    }

    package mutating func finish(into out: inout ByteBuffer) -> String? {
        sawStop || sawUpstreamError ? nil : "upstream ended the stream before message_stop"
    }

    package func failureEvent(message: String, code: String) -> String {
        AnthropicErrorRendering.streamEvent(status: 502, message: message)
    }
}

/// OpenAI upstream, Anthropic client (`/v1/messages` served by an OpenAI-speaking provider).
package struct OpenAIToAnthropicTransformer: StreamTransformer {
    private var translator: ChatStreamToAnthropicTranslator
    package private(set) var sawUpstreamError = false
    private var sawFinishReason = false

    package init(model: String, messageID: String) {
        self.translator = ChatStreamToAnthropicTranslator(model: model, messageID: messageID)
    }

    package var usage: TokenUsage? {
        TokenUsage(inputTokens: translator.usage.promptTokens, outputTokens: translator.usage.completionTokens)
    }

    package mutating func transform(_ event: ServerSentEvent, into out: inout ByteBuffer) {
        if event.data.contains("\"finish_reason\":\"") || event.data.contains("\"finish_reason\": \"") { sawFinishReason = true }
        if event.data.hasPrefix("{\"error\"") { sawUpstreamError = true }
        for translated in translator.translate(event) { out.writeString(translated.serialized) }
    }

    package mutating func finish(into out: inout ByteBuffer) -> String? {
        if translator.isFinished { return nil }
        guard sawFinishReason else { return "upstream ended the stream before it was complete" }
        for translated in translator.finish() { out.writeString(translated.serialized) }
        return nil
    }

    package func failureEvent(message: String, code: String) -> String {
        AnthropicErrorRendering.streamEvent(status: 502, message: message)
    }
}
