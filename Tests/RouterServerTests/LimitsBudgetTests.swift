import Foundation
import Logging
import RouterCore
import Synchronization
import Testing
@testable import RouterServer

@Suite("Budgets through the daemon")
struct LimitsBudgetTests {
    let quiet = LimitsBudgetTests.quiet
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// $100 per million tokens in and out: a request costs (input + output) × $0.0001.
    static func priced(_ configuration: inout Configuration) {
        configuration.pricing = [
            "fake/gpt-test": Price(input: 100, output: 100), "fake/slow-stream": Price(input: 100, output: 100),
        ]
    }

    @Test func twentyConcurrentRequestsCannotOverrunTheBudget() async throws {
        // Worst case per request: (2 prompt + 10 max_tokens) × $0.0001 = $0.0012; the stream uses
        // 9 + 3 = 12 tokens, so each costs exactly that. $0.0055 admits four, not five.
        let key = ClientIdentity(keyName: "capped", allowedModels: [], budgetUSD: 0.0055, budgetPeriod: .day)
        try await LimitsHarness.run(identities: [key], configure: Self.priced) { harness in
            let body = LimitsRateTests.chat(model: "fake/slow-stream", maxTokens: 10, stream: true)
            // The upstream takes ~900 ms per stream, so all twenty are in flight before any settles.
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let response = try await harness.post("/v1/chat/completions", key: "capped", json: body)
                        return (response.status, response.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let admitted = statuses.filter { $0.0 == 200 }
            let refused = statuses.filter { $0.0 == 429 }
            #expect(admitted.count == 4)
            #expect(refused.count == 16)
            for (_, text) in refused {
                #expect(try parseJSON(text)["error"]?["code"]?.stringValue == "insufficient_quota")
            }
            let spent = harness.runtime.accounting.limits.spent(keyName: "capped", period: .day)
            #expect(abs(spent - 0.0048) < 1e-9)
            #expect(spent <= 0.0055)

            let status = try #require(harness.runtime.accounting.limits.budgetStatuses().first)
            #expect(status.reservedUSD == 0)
            #expect(abs(status.spentUSD - 0.0048) < 1e-9)
            let metrics = MetricsExposition.render(runtime: harness.runtime)
            #expect(metrics.contains(#"localrouter_budget_used_ratio{key="capped",period="day"} 0.8727"#))
            #expect(metrics.contains(#"localrouter_rate_limit_rejections_total{key="capped",limit="budget"} 16"#))
            // The access log carries the cost computed from the price table.
            let costs = harness.log.all.compactMap(\.fields.costUSD)
            #expect(costs.count == 4)
            #expect(costs.allSatisfy { abs($0 - 0.0012) < 1e-12 })
        }
    }

    @Test func exhaustedBudgetAnswersInsufficientQuotaWithRetryAfter() async throws {
        let key = ClientIdentity(keyName: "small", allowedModels: [], budgetUSD: 0.001, budgetPeriod: .month)
        try await LimitsHarness.run(identities: [key], configure: Self.priced) { harness in
            let refused = try await harness.post("/v1/chat/completions", key: "small", json: LimitsRateTests.chat(maxTokens: 10))
            #expect(refused.status == 429)
            let error = try parseJSON(refused.body)["error"]
            #expect(error?["type"]?.stringValue == "insufficient_quota")
            #expect(error?["message"]?.stringValue?.contains("$0.0010 per month") == true)
            let retryAfter = try #require(refused.headers.first(name: "retry-after").flatMap { Int($0) })
            #expect(retryAfter > 0 && retryAfter <= 31 * 86_400)
            #expect(harness.log.all.last?.fields.errorClass == "budget_exhausted")
            // Free targets (mock) reserve and cost nothing, so the same key can still use them.
            let free = try await harness.post("/v1/chat/completions", key: "small", json: LimitsRateTests.chat(model: "mock/echo"))
            #expect(free.status == 200)
        }
    }

    @Test func unpricedTargetsReserveNothingAndCostNothing() async throws {
        let key = ClientIdentity(keyName: "tiny", allowedModels: [], budgetUSD: 0.000001, budgetPeriod: .day)
        try await LimitsHarness.run(identities: [key]) { harness in
            for _ in 0..<3 {
                let response = try await harness.post("/v1/chat/completions", key: "tiny", json: LimitsRateTests.chat(maxTokens: 1000))
                #expect(response.status == 200)
            }
            #expect(harness.log.all.allSatisfy { $0.fields.costUSD == nil })
            #expect(harness.runtime.accounting.limits.spent(keyName: "tiny", period: .day) == 0)
        }
    }

    @Test func abandonedReservationsAreFreedAfterTheRequestTimeout() throws {
        let clock = TestInstantClock()
        let accounting = RequestAccounting(limits: LimitsEnforcer(now: clock.read), now: clock.read)
        var configuration = Configuration()
        configuration.server.requestTimeout = .seconds(10)
        configuration.pricing = ["p/m": Price(input: 1_000_000, output: 0)]  // $1 per prompt token
        let identity = ClientIdentity(keyName: "k", allowedModels: [], budgetUSD: 5, budgetPeriod: .day)
        // "user" + "abcd": 2 tokens, so $2 reserved each.
        let body = try parseJSON(#"{"model":"p/m","max_tokens":0,"messages":[{"role":"user","content":"abcd"}]}"#)
        func admit(_ id: String) throws {
            try accounting.admit(
                requestID: id, identity: identity, json: body, format: .openAI(.chatCompletions), targets: [RouteTarget(target: "p/m")],
                configuration: configuration, trace: RequestTrace(), logger: quiet)
        }
        try admit("a")
        try admit("b")
        #expect(throws: OpenAIError.self) { try admit("c") }
        // Neither a nor b ever finished (their response bodies never ran): past the timeout and its grace they are freed.
        clock.advance(by: .seconds(10) + .seconds(61))
        try admit("d")
        #expect(accounting.limits.budgetStatuses().first?.reservedUSD == 2)
    }

    @Test func spendSurvivesARestartWithoutAGracefulStop() async throws {
        let stateDirectory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        // 9 + 2 = 11 tokens: $0.0011 per request; worst case (2 + 10) × $0.0001 = $0.0012.
        let key = ClientIdentity(keyName: "persisted", allowedModels: [], budgetUSD: 0.003, budgetPeriod: .day)
        let first = RequestAccounting(limits: try LimitsEnforcer.persistent(stateDirectory: stateDirectory, logger: Self.quiet))
        try await LimitsHarness.run(identities: [key], accounting: first, configure: Self.priced) { harness in
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(try await harness.post("/v1/chat/completions", key: "persisted", json: LimitsRateTests.chat(maxTokens: 10)).status)
            }
            // The third: 0.0022 spent + 0.0012 worst case > 0.003.
            #expect(statuses == [200, 200, 429])
        }
        // No close(): as after a crash, only what the writer already fsync'd counts.
        first.limits.waitUntilDurable()
        let lines = try String(contentsOfFile: stateDirectory + "/spend.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!lines.joined().contains("lr-"))

        let second = RequestAccounting(limits: try LimitsEnforcer.persistent(stateDirectory: stateDirectory, logger: Self.quiet))
        #expect(abs(second.limits.spent(keyName: "persisted", period: .day) - 0.0022) < 1e-9)
        try await LimitsHarness.run(identities: [key], accounting: second, configure: Self.priced) { harness in
            let refused = try await harness.post("/v1/chat/completions", key: "persisted", json: LimitsRateTests.chat(maxTokens: 10))
            #expect(refused.status == 429)
            #expect(try parseJSON(refused.body)["error"]?["code"]?.stringValue == "insufficient_quota")
            // A smaller worst case still fits what is left: 0.0022 + (2 + 5) × 0.0001 ≤ 0.003.
            #expect(try await harness.post("/v1/chat/completions", key: "persisted", json: LimitsRateTests.chat(maxTokens: 5)).status == 200)
        }
        second.close()
        // The restart compacted the two lines into one daily total; the third request appended one.
        let after = try String(contentsOfFile: stateDirectory + "/spend.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(after.count == 2)
        let third = try LimitsEnforcer.persistent(stateDirectory: stateDirectory, logger: Self.quiet)
        #expect(abs(third.spent(keyName: "persisted", period: .day) - 0.0033) < 1e-9)
        third.close()
    }
}

/// A monotonic clock the test moves by hand.
final class TestInstantClock: Sendable {
    private let current = Mutex(ContinuousClock.now)
    var read: @Sendable () -> ContinuousClock.Instant { { self.current.withLock { $0 } } }
    func advance(by duration: Duration) { current.withLock { $0 += duration } }
}
