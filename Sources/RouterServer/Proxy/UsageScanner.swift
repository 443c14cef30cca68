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
    /// Finds `"prompt_tokens": N` and `"completion_tokens": N` (embeddings have only the first),
    /// each followed by digits. Read from the end, where OpenAI puts `usage` (an embedding's
    /// vectors or a long answer come before it), in place, stopping once both are found. The
    /// pattern cannot match inside a string value: a quote there is escaped (`\"`).
    package static func scan(_ bytes: some Collection<UInt8>) -> TokenUsage? {
        if let usage = bytes.withContiguousStorageIfAvailable({ scan(buffer: $0) }) { return usage }
        return Array(bytes).withUnsafeBufferPointer { scan(buffer: $0) }
    }

    private static let promptKey: StaticString = "\"prompt_tokens\""
    private static let completionKey: StaticString = "\"completion_tokens\""

    private static func scan(buffer: UnsafeBufferPointer<UInt8>) -> TokenUsage? {
        var input: Int?
        var output: Int?
        var index = buffer.count - 2  // a key's quote has at least one byte after it
        while index >= 0, input == nil || output == nil {
            if buffer[index] == UInt8(ascii: "\"") {
                switch buffer[index + 1] {
                case UInt8(ascii: "p") where input == nil: input = integer(after: promptKey, at: index, in: buffer)
                case UInt8(ascii: "c") where output == nil: output = integer(after: completionKey, at: index, in: buffer)
                default: break
                }
            }
            index -= 1
        }
        guard let input else { return nil }
        return TokenUsage(inputTokens: input, outputTokens: output ?? 0)
    }

    /// The integer after `key` (then spaces and colons) if `key` starts at `index`, else nil.
    private static func integer(after key: StaticString, at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let keyBytes = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard bytes.count - index > keyBytes.count else { return nil }
        for offset in 0..<keyBytes.count where bytes[index + offset] != keyBytes[offset] { return nil }
        var cursor = index + keyBytes.count
        while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: ":") { cursor += 1 }
        var value = 0
        var digits = 0
        while cursor < bytes.count, bytes[cursor] >= UInt8(ascii: "0"), bytes[cursor] <= UInt8(ascii: "9"), digits < 12 {
            value = value * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
            cursor += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
