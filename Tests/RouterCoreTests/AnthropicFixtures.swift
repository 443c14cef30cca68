import Foundation
import Testing

@testable import RouterCore

/// Recorded Anthropic and OpenAI bodies and streams under `Fixtures/anthropic/`.
enum AnthropicFixtures {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/anthropic/\(name)")
        return try Data(contentsOf: url)
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue.parse(data(name))
    }

    /// The events of a recorded SSE stream, fed to the parser in small uneven pieces as a socket would.
    static func events(_ name: String) throws -> [ServerSentEvent] {
        let bytes = Array(try data(name))
        var parser = SSEParser()
        var events: [ServerSentEvent] = []
        var offset = 0
        var size = 1
        while offset < bytes.count {
            let end = min(offset + size, bytes.count)
            events += parser.feed(bytes[offset..<end])
            offset = end
            size = size % 97 + 13
        }
        if let last = parser.finish() { events.append(last) }
        return events
    }

    /// Feeds a whole Anthropic stream through a translator.
    static func translate(_ name: String, created: Int = 1_700_000_000) throws -> (outputs: [AnthropicStreamTranslator.Output], translator: AnthropicStreamTranslator) {
        var translator = AnthropicStreamTranslator(created: created)
        var outputs: [AnthropicStreamTranslator.Output] = []
        for event in try events(name) { outputs += translator.translate(event) }
        return (outputs, translator)
    }
}

extension AnthropicStreamTranslator.Output {
    var chunk: JSONValue? {
        if case .chunk(let chunk) = self { return chunk }
        return nil
    }

    var delta: JSONValue? { chunk?["choices"]?.arrayValue?.first?["delta"] }
}

extension ServerSentEvent {
    var parsedData: JSONValue? { try? JSONValue.parse(Data(data.utf8)) }
}
