/// Token usage read from an OpenAI-shaped body without decoding it: the router only needs two
/// integers, and responses can be large.
package struct TokenUsage: Sendable, Equatable {
    package var inputTokens: Int
    package var outputTokens: Int

    package init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

package enum UsageScanner {
    /// Finds `"prompt_tokens": N` and `"completion_tokens": N` (embeddings have only the first).
    package static func scan(_ bytes: some Collection<UInt8>) -> TokenUsage? {
        let array = Array(bytes)
        guard let input = integer(after: Array("\"prompt_tokens\"".utf8), in: array) else { return nil }
        let output = integer(after: Array("\"completion_tokens\"".utf8), in: array) ?? 0
        return TokenUsage(inputTokens: input, outputTokens: output)
    }

    private static func integer(after key: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count > key.count else { return nil }
        var index = 0
        let last = bytes.count - key.count
        while index <= last {
            if bytes[index] == key[0], bytes[index..<(index + key.count)].elementsEqual(key) {
                var cursor = index + key.count
                while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: ":") { cursor += 1 }
                var value = 0
                var digits = 0
                while cursor < bytes.count, bytes[cursor] >= UInt8(ascii: "0"), bytes[cursor] <= UInt8(ascii: "9"), digits < 12 {
                    value = value * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
                    cursor += 1
                    digits += 1
                }
                if digits > 0 { return value }
            }
            index += 1
        }
        return nil
    }
}
