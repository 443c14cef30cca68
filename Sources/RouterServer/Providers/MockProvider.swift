import Foundation
import NIOCore
import RouterCore

/// The offline `mock` provider: a deterministic test double that answers in OpenAI's wire
/// format, streaming included, so a new user can try clients before entering any real key.
/// It echoes the last user message; token counts are a simple word count.
package enum MockProvider {
    package static func respond(to endpoint: Endpoint, request: JSONValue, model: String) -> UpstreamResponse {
        switch endpoint {
        case .chatCompletions:
            let prompt = lastUserText(request["messages"])
            return complete(request: request, model: model, prompt: prompt, inputText: allText(request["messages"]), chat: true)
        case .completions:
            let prompt = text(of: request["prompt"])
            return complete(request: request, model: model, prompt: prompt, inputText: prompt, chat: false)
        case .embeddings:
            return embeddings(request: request, model: model)
        }
    }

    private static func reply(to prompt: String) -> String {
        prompt.isEmpty ? "Hello from LocalRouter's offline mock provider." : "Mock reply: \(prompt)"
    }

    private static func complete(request: JSONValue, model: String, prompt: String, inputText: String, chat: Bool) -> UpstreamResponse {
        let answer = reply(to: prompt)
        let inputTokens = tokenCount(inputText)
        let outputTokens = tokenCount(answer)
        let usage: JSONValue = [
            "prompt_tokens": .integer(Int64(inputTokens)),
            "completion_tokens": .integer(Int64(outputTokens)),
            "total_tokens": .integer(Int64(inputTokens + outputTokens)),
        ]
        let id = (chat ? "chatcmpl-mock-" : "cmpl-mock-") + String(stableHash(inputText), radix: 16)
        let created = JSONValue.integer(Int64(Date().timeIntervalSince1970))

        if request["stream"]?.boolValue != true {
            let choice: JSONValue =
                chat
                ? ["index": 0, "message": ["role": "assistant", "content": .string(answer)], "logprobs": nil, "finish_reason": "stop"]
                : ["index": 0, "text": .string(answer), "logprobs": nil, "finish_reason": "stop"]
            let body: JSONValue = [
                "id": .string(id), "object": chat ? "chat.completion" : "text_completion", "created": created,
                "model": .string(model), "choices": [choice], "usage": usage,
            ]
            return json(body)
        }

        let includeUsage = request["stream_options"]?["include_usage"]?.boolValue == true
        func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> ByteBuffer {
            let choice: JSONValue =
                chat
                ? ["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]
                : ["index": 0, "text": delta["content"] ?? "", "logprobs": nil, "finish_reason": finish]
            var body: JSONValue = [
                "id": .string(id), "object": chat ? "chat.completion.chunk" : "text_completion", "created": created,
                "model": .string(model), "choices": [choice],
            ]
            if includeUsage { body["usage"] = nil as JSONValue }
            return event(body)
        }
        var events: [ByteBuffer] = []
        if chat { events.append(chunk(["role": "assistant", "content": ""])) }
        let words = answer.split(separator: " ", omittingEmptySubsequences: false)
        for (index, word) in words.enumerated() {
            events.append(chunk(["content": .string(index == 0 ? String(word) : " " + word)]))
        }
        events.append(chunk([:], finish: "stop"))
        if includeUsage {
            let body: JSONValue = [
                "id": .string(id), "object": chat ? "chat.completion.chunk" : "text_completion", "created": created,
                "model": .string(model), "choices": [], "usage": usage,
            ]
            events.append(event(body))
        }
        events.append(ByteBuffer(string: "data: [DONE]\n\n"))
        return UpstreamResponse(
            status: 200,
            headers: [("content-type", "text/event-stream")],
            body: .buffers(events)
        )
    }

    private static func embeddings(request: JSONValue, model: String) -> UpstreamResponse {
        let inputs: [String]
        switch request["input"] {
        case .string(let text): inputs = [text]
        case .array(let items): inputs = items.map { text(of: $0) }
        default: inputs = []
        }
        let data: [JSONValue] = inputs.enumerated().map { index, input in
            // A deterministic unit vector derived from the text, so equal inputs embed equally.
            var generator = SeededGenerator(seed: stableHash(input))
            let raw = (0..<8).map { _ in Double(generator.next() % 2000) / 1000 - 1 }
            let norm = max(raw.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-9)
            return [
                "object": "embedding", "index": .integer(Int64(index)),
                "embedding": .array(raw.map { .double(($0 / norm * 1e6).rounded() / 1e6) }),
            ]
        }
        let tokens = inputs.reduce(0) { $0 + tokenCount($1) }
        return json([
            "object": "list", "data": .array(data), "model": .string(model),
            "usage": ["prompt_tokens": .integer(Int64(tokens)), "total_tokens": .integer(Int64(tokens))],
        ])
    }

    private static func json(_ value: JSONValue) -> UpstreamResponse {
        UpstreamResponse(status: 200, headers: [("content-type", "application/json")], body: .buffers([ByteBuffer(bytes: value.serialized())]))
    }

    private static func event(_ value: JSONValue) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(value.serialized())
        buffer.writeString("\n\n")
        return buffer
    }

    private static func lastUserText(_ messages: JSONValue?) -> String {
        let users = messages?.arrayValue?.filter { $0["role"]?.stringValue == "user" } ?? []
        return users.last.map { text(of: $0["content"]) } ?? ""
    }

    private static func allText(_ messages: JSONValue?) -> String {
        (messages?.arrayValue ?? []).map { text(of: $0["content"]) }.joined(separator: " ")
    }

    /// Text of a string, or of the text parts of a multi-part content array.
    private static func text(of value: JSONValue?) -> String {
        switch value {
        case .string(let text): return text
        case .array(let parts): return parts.compactMap { $0["text"]?.stringValue ?? $0.stringValue }.joined(separator: " ")
        default: return ""
        }
    }

    private static func tokenCount(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }

    /// FNV-1a: stable across runs, unlike `Hasher`.
    private static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
