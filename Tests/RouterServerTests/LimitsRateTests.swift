import Foundation
import RouterCore
import Testing
@testable import RouterServer

@Suite("Rate limits through the daemon")
struct LimitsRateTests {
    /// Prompt estimate of this body: "user" + "Hi" = 6 characters → 2 tokens.
    static func chat(model: String = "fake/gpt-test", maxTokens: Int? = nil, stream: Bool = false) -> String {
        let maximum = maxTokens.map { #","max_tokens":\#($0)"# } ?? ""
        return #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"Hi"}]\#(maximum)}"#
    }

    @Test func configDefaultRPMAnswers429WithRetryAfterAndHeadersOnSuccesses() async throws {
        try await RouterHarness.run(configure: { configuration, _ in configuration.limits.rpm = 2 }) { harness in
            let first = try await harness.post("/v1/chat/completions", json: Self.chat())
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-ratelimit-limit-requests") == "2")
            #expect(first.headers.first(name: "x-ratelimit-remaining-requests") == "1")
            #expect(first.headers.first(name: "x-ratelimit-reset-requests")?.hasSuffix("s") == true)
            #expect(first.headers.first(name: "x-ratelimit-limit-tokens") == nil)
            #expect(first.headers.first(name: "retry-after") == nil)

            let streamed = try await harness.stream("/v1/chat/completions", json: Self.chat(stream: true))
            #expect(streamed.status == 200)
            #expect(streamed.headers.first(name: "x-ratelimit-remaining-requests") == "0")

            let refused = try await harness.post("/v1/chat/completions", json: Self.chat())
            #expect(refused.status == 429)
            let error = try parseJSON(refused.body)["error"]
            #expect(error?["code"]?.stringValue == "rate_limit_exceeded")
            #expect(error?["type"]?.stringValue == "requests")
            // Two requests per minute: the third fits 30 s after the first (less the seconds a
            // loaded machine took between them).
            let retryAfter = try #require(refused.headers.first(name: "retry-after").flatMap { Int($0) })
            #expect((20...30).contains(retryAfter))
            #expect(refused.headers.first(name: "x-ratelimit-limit-requests") == "2")
            #expect(refused.headers.first(name: "x-ratelimit-remaining-requests") == "0")
            #expect(refused.headers.first(name: "x-request-id") != nil)

            // The refused request never reached the upstream, and is logged as rate limited.
            #expect(harness.upstream.requests.count == 2)
            let entry = try #require(await harness.log.all(atLeast: 3).last { $0.fields.status == 429 })
            #expect(entry.fields.status == 429)
            #expect(entry.fields.errorClass == "rate_limited")
        }
    }

    @Test func tokensPerMinuteChargeTheEstimateAndSettleWithRealUsage() async throws {
        let key = ClientIdentity(keyName: "tokens", allowedModels: [], rpm: 0, tpm: 100)
        try await LimitsHarness.run(identities: [key], configure: { $0.limits.rpm = 1 }) { harness in
            // 2 prompt tokens + max_tokens 50 admitted; the answer used 9 + 2 = 11.
            let first = try await harness.post("/v1/chat/completions", key: "tokens", json: LimitsRateTests.chat(maxTokens: 50))
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-ratelimit-limit-tokens") == "100")
            #expect(first.headers.first(name: "x-ratelimit-remaining-tokens") == "48")
            // The key's own rpm (0, unlimited) wins over the config's default of 1.
            #expect(first.headers.first(name: "x-ratelimit-limit-requests") == nil)

            // Settled to 11: 100 - 11 - 52 = 37 left (without settling, 52 + 52 would not fit).
            let second = try await harness.post("/v1/chat/completions", key: "tokens", json: LimitsRateTests.chat(maxTokens: 50))
            #expect(second.status == 200)
            // The bucket refills at 100/min on the real clock, so a slow machine may see a token or two more.
            #expect((37...40).contains(Int(second.headers.first(name: "x-ratelimit-remaining-tokens") ?? "") ?? -1))

            // Larger than the whole limit: no wait helps, so no Retry-After.
            let tooLarge = try await harness.post("/v1/chat/completions", key: "tokens", json: LimitsRateTests.chat(maxTokens: 200))
            #expect(tooLarge.status == 429)
            #expect(try parseJSON(tooLarge.body)["error"]?["type"]?.stringValue == "tokens")
            #expect(tooLarge.headers.first(name: "retry-after") == nil)

            // 22 used, 78 left; 92 needs 14 more tokens to drain at 100/min: 8.4 s.
            let later = try await harness.post("/v1/chat/completions", key: "tokens", json: LimitsRateTests.chat(maxTokens: 90))
            #expect(later.status == 429)
            #expect(try parseJSON(later.body)["error"]?["code"]?.stringValue == "rate_limit_exceeded")
            #expect((7...9).contains(Int(later.headers.first(name: "retry-after") ?? "") ?? -1))
            #expect((78...82).contains(Int(later.headers.first(name: "x-ratelimit-remaining-tokens") ?? "") ?? -1))

            // Requests without a key share the config default of 1 rpm.
            #expect(try await harness.post("/v1/chat/completions", key: nil, json: LimitsRateTests.chat()).status == 200)
            #expect(try await harness.post("/v1/chat/completions", key: nil, json: LimitsRateTests.chat()).status == 429)

            let metrics = MetricsExposition.render(runtime: harness.runtime)
            #expect(metrics.contains(#"localrouter_rate_limit_rejections_total{key="tokens",limit="tokens"} 2"#))
            #expect(metrics.contains(#"localrouter_rate_limit_rejections_total{key="(none)",limit="requests"} 1"#))
        }
    }

    @Test func estimateReadsPromptTextAndSkipsImages() throws {
        let body = try parseJSON(
            #"{"model":"m","max_completion_tokens":7,"messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}]}]}"#)
        let estimate = TokenEstimate(json: body, producesOutput: true)
        // "user", "text", "abcdefgh", "image_url" (the type name): 4 + 4 + 8 + 9 = 25 characters → 7 tokens.
        #expect(estimate.promptTokens == 7)
        #expect(estimate.maxOutputTokens == 7)
        #expect(estimate.rateTokens == 14)
        let embeddings = TokenEstimate(json: try parseJSON(#"{"model":"m","input":"abcd"}"#), producesOutput: false)
        #expect(embeddings.rateTokens == 1)
        #expect(embeddings.budgetOutputTokens == 0)
        let unbounded = TokenEstimate(json: try parseJSON(#"{"model":"m","prompt":"abcd"}"#), producesOutput: true)
        #expect(unbounded.rateTokens == 1 + TokenEstimate.defaultRateOutputTokens)
        #expect(unbounded.budgetOutputTokens == TokenEstimate.defaultBudgetOutputTokens)
    }
}
