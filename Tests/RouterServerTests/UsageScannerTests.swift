import NIOCore
import Testing

@testable import RouterServer

@Suite struct UsageScannerTests {
    @Test func bothCountsAreReadWhereverTheyAre() {
        let body = #"{"id":"x","choices":[{"message":{"content":"say \"prompt_tokens\" please"}}],"usage":{"prompt_tokens" : 12,"completion_tokens":345,"total_tokens":357}}"#
        #expect(UsageScanner.scan(ByteBuffer(string: body).readableBytesView) == TokenUsage(inputTokens: 12, outputTokens: 345))
        #expect(UsageScanner.scan(Array(body.utf8).lazy.map { $0 }) == TokenUsage(inputTokens: 12, outputTokens: 345), "a non-contiguous collection")
    }

    @Test func aKeyWithoutDigitsIsSkippedAndMissingCountsAreNilOrZero() {
        let later = #"{"prompt_tokens":null,"usage":{"completion_tokens":7,"prompt_tokens":3}}"#
        #expect(UsageScanner.scan(Array(later.utf8)) == TokenUsage(inputTokens: 3, outputTokens: 7))
        #expect(UsageScanner.scan(Array(#"{"usage":{"prompt_tokens":9,"total_tokens":9}}"#.utf8)) == TokenUsage(inputTokens: 9, outputTokens: 0), "embeddings")
        #expect(UsageScanner.scan(Array(#"{"usage":{"completion_tokens":9}}"#.utf8)) == nil)
        #expect(UsageScanner.scan(Array(#""prompt_tokens""#.utf8)) == nil, "the key at the very end")
        #expect(UsageScanner.scan([UInt8]()) == nil)
    }
}

extension UsageScannerTests {
    @Test func aLaterKeyWinsAndTheEdgesOfTheBodyAreSafe() {
        #expect(UsageScanner.scan(Array(#"{"prompt_tokens":1,"completion_tokens":2,"usage":{"prompt_tokens":3,"completion_tokens":4}}"#.utf8)) == TokenUsage(inputTokens: 3, outputTokens: 4))
        #expect(UsageScanner.scan(Array(#""prompt_tokens":5"#.utf8)) == TokenUsage(inputTokens: 5, outputTokens: 0), "a key at byte 0")
        for body in ["\"", "\"p", "\"c", "x"] { #expect(UsageScanner.scan(Array(body.utf8)) == nil) }
    }
}
