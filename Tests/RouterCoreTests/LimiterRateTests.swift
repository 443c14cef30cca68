import Testing

@testable import RouterCore

@Suite struct LimiterRateTests {
    let clock = RoutingFakeClock()

    @Test func unlimitedMeansNoLimiter() {
        #expect(RateLimiter(limit: 0) == nil)
        #expect(KeyRateLimiter(requestsPerMinute: 0, tokensPerMinute: 0).isUnlimited)
    }

    @Test func allowsExactlyTheLimitThenRejects() throws {
        var limiter = try #require(RateLimiter(limit: 60))
        let now = clock.at(seconds: 0)
        for sent in 1...60 {
            let decision = limiter.check(cost: 1, now: now)
            #expect(decision.allowed, "request \(sent)")
            #expect(decision.remaining == 60 - sent)
            #expect(decision.limit == 60)
        }
        let rejected = limiter.check(cost: 1, now: now)
        #expect(!rejected.allowed)
        #expect(rejected.remaining == 0)
        // One unit drains every second; the 61st fits one second from now.
        #expect(rejected.retryAfter == .seconds(1))
        #expect(rejected.resetAfter == .seconds(60))
        #expect(!limiter.check(cost: 1, now: clock.at(seconds: 0.999)).allowed)
        let refilled = limiter.check(cost: 1, now: clock.at(seconds: 1))
        #expect(refilled.allowed)
        #expect(refilled.remaining == 0)
    }

    @Test func refillsCompletelyAfterThePeriod() throws {
        var limiter = try #require(RateLimiter(limit: 7))
        for _ in 0..<7 { #expect(limiter.check(cost: 1, now: clock.at(seconds: 0)).allowed) }
        #expect(!limiter.check(cost: 1, now: clock.at(seconds: 0)).allowed)
        #expect(limiter.isIdle(now: clock.at(seconds: 60)))
        let status = limiter.status(now: clock.at(seconds: 60))
        #expect(status.remaining == 7)
        #expect(status.resetAfter == .zero)
        for _ in 0..<7 { #expect(limiter.check(cost: 1, now: clock.at(seconds: 60)).allowed) }
        #expect(!limiter.check(cost: 1, now: clock.at(seconds: 60)).allowed)
    }

    @Test func rateOverTimeNeverExceedsTheLimit() throws {
        // 10 per minute, hammered every 100 ms for 5 minutes: 10 burst + 1 per 6 s afterwards.
        var limiter = try #require(RateLimiter(limit: 10))
        var allowed = 0
        for tick in 0..<3000 where limiter.check(cost: 1, now: clock.at(seconds: Double(tick) / 10)).allowed {
            allowed += 1
        }
        #expect(allowed == 10 + 49)
    }

    @Test func tokenCostsAndTooLargeRequests() throws {
        var limiter = try #require(RateLimiter(limit: 1000))
        let first = limiter.check(cost: 700, now: clock.at(seconds: 0))
        #expect(first.allowed)
        #expect(first.remaining == 300)
        #expect(first.resetAfter == .seconds(42))
        let second = limiter.check(cost: 400, now: clock.at(seconds: 0))
        #expect(!second.allowed)
        #expect(second.remaining == 300)
        // 100 tokens short; 1000 per 60 s drains 100 in 6 s.
        #expect(second.retryAfter == .seconds(6))
        let huge = limiter.check(cost: 1001, now: clock.at(seconds: 0))
        #expect(huge.exceedsLimit)
        #expect(limiter.check(cost: 400, now: clock.at(seconds: 6)).allowed)
    }

    @Test func adjustChargesAndRefunds() throws {
        var limiter = try #require(RateLimiter(limit: 600))
        #expect(limiter.check(cost: 100, now: clock.at(seconds: 0)).allowed)
        limiter.adjust(by: 400, now: clock.at(seconds: 0))
        #expect(limiter.status(now: clock.at(seconds: 0)).remaining == 100)
        limiter.adjust(by: -300, now: clock.at(seconds: 0))
        #expect(limiter.status(now: clock.at(seconds: 0)).remaining == 400)
        limiter.adjust(by: -10_000, now: clock.at(seconds: 0))
        #expect(limiter.status(now: clock.at(seconds: 0)).remaining == 600)
    }

    @Test func keyLimiterConsumesNothingWhenEitherLimitRejects() {
        var limiter = KeyRateLimiter(requestsPerMinute: 5, tokensPerMinute: 1000)
        let now = clock.at(seconds: 0)
        #expect(limiter.check(estimatedTokens: 900, now: now).allowed)
        let rejected = limiter.check(estimatedTokens: 200, now: now)
        #expect(!rejected.allowed)
        #expect(rejected.requests?.allowed == true)
        #expect(rejected.tokens?.allowed == false)
        // The rejected request did not use a request slot: four small ones still fit.
        for _ in 0..<4 { #expect(limiter.check(estimatedTokens: 10, now: now).allowed) }
        let noSlots = limiter.check(estimatedTokens: 0, now: now)
        #expect(!noSlots.allowed)
        #expect(noSlots.retryAfter == .seconds(12))
    }

    @Test func settleTokensCorrectsTheEstimate() {
        var limiter = KeyRateLimiter(requestsPerMinute: 0, tokensPerMinute: 1000)
        let now = clock.at(seconds: 0)
        #expect(limiter.check(estimatedTokens: 900, now: now).allowed)
        limiter.settleTokens(estimated: 900, actual: 300, now: now)
        #expect(limiter.check(estimatedTokens: 700, now: now).allowed)
        #expect(limiter.requests == nil)
    }

    @Test func headersFollowOpenAI() {
        var limiter = KeyRateLimiter(requestsPerMinute: 3, tokensPerMinute: 600)
        let now = clock.at(seconds: 0)
        let allowed = limiter.check(estimatedTokens: 150, now: now)
        let allowedFields = Dictionary(uniqueKeysWithValues: allowed.headerFields.map { ($0.name, $0.value) })
        #expect(
            allowedFields == [
                "x-ratelimit-limit-requests": "3",
                "x-ratelimit-remaining-requests": "2",
                "x-ratelimit-reset-requests": "20s",
                "x-ratelimit-limit-tokens": "600",
                "x-ratelimit-remaining-tokens": "450",
                "x-ratelimit-reset-tokens": "15s",
            ])
        _ = limiter.check(estimatedTokens: 0, now: now)
        _ = limiter.check(estimatedTokens: 0, now: now)
        let rejected = limiter.check(estimatedTokens: 0, now: clock.at(seconds: 0.5))
        let rejectedFields = Dictionary(uniqueKeysWithValues: rejected.headerFields.map { ($0.name, $0.value) })
        #expect(rejectedFields["retry-after"] == "20")
        #expect(rejectedFields["x-ratelimit-remaining-requests"] == "0")
        #expect(rejectedFields["x-ratelimit-reset-requests"] == "59.5s")
    }

    @Test func resetFormatting() {
        #expect(LimitDecision.formatReset(.zero) == "0s")
        #expect(LimitDecision.formatReset(.milliseconds(17)) == "17ms")
        #expect(LimitDecision.formatReset(.seconds(1)) == "1s")
        #expect(LimitDecision.formatReset(.milliseconds(1500)) == "1.5s")
        #expect(LimitDecision.formatReset(.seconds(360)) == "6m0s")
        #expect(LimitDecision.formatReset(.seconds(3723)) == "1h2m3s")
        #expect(LimitDecision.retryAfterSeconds(.milliseconds(100)) == 1)
        #expect(LimitDecision.retryAfterSeconds(.seconds(6)) == 6)
    }
}
