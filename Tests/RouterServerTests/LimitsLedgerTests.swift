import Foundation
import Logging
import RouterCore
import Testing
@testable import RouterServer

@Suite("The spend ledger file")
struct LimitsLedgerTests {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    @Test func tornLinesAreSkippedAndOldDaysDroppedAtCompaction() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 14:13:20 UTC
        let earlierToday = now.addingTimeInterval(-3600)
        let lastMonth = now.addingTimeInterval(-25 * 86_400)  // 2026-08-27
        let longAgo = now.addingTimeInterval(-100 * 86_400)
        let text = [
            SpendJournal.line(.init(keyName: "a", at: earlierToday, usd: 0.5)),
            SpendJournal.line(.init(keyName: "a", at: now, usd: 0.25)),
            SpendJournal.line(.init(keyName: "a", at: lastMonth, usd: 2)),
            SpendJournal.line(.init(keyName: "b", at: longAgo, usd: 9)),
            #"{"key":"a","at":1790000000,"us"#,  // torn by a crash mid-write
        ].joined()
        try text.write(toFile: directory + "/spend.jsonl", atomically: false, encoding: .utf8)

        let enforcer = try LimitsEnforcer.persistent(
            stateDirectory: directory, logger: Logger(label: "test"), calendar: .fixed(Self.utc), date: { now })
        #expect(enforcer.spent(keyName: "a", period: .day) == 0.75)
        #expect(enforcer.spent(keyName: "a", period: .month) == 0.75)
        #expect(enforcer.spent(keyName: "b", period: .month) == 0)
        enforcer.waitUntilDurable()
        let compacted = try String(contentsOfFile: directory + "/spend.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(compacted.count == 2)  // a today, a in August; b's 100-day-old spend is gone

        let admission = try enforcer.admit(
            KeyLimits(keyName: "a", requestsPerMinute: 0, tokensPerMinute: 0, budget: .init(usd: 1, period: .day)),
            estimate: TokenEstimate(promptTokens: 1, maxOutputTokens: 1), worstCaseCost: 0.2
        ).get()
        #expect(throws: LimitRejection.self) {
            try enforcer.admit(
                KeyLimits(keyName: "a", requestsPerMinute: 0, tokensPerMinute: 0, budget: .init(usd: 1, period: .day)),
                estimate: TokenEstimate(promptTokens: 1, maxOutputTokens: 1), worstCaseCost: 0.1
            ).get()
        }
        enforcer.settle(admission, actualTokens: 2, cost: 0.125)
        enforcer.close()
        let reopened = try LimitsEnforcer.persistent(
            stateDirectory: directory, logger: Logger(label: "test"), calendar: .fixed(Self.utc), date: { now })
        #expect(reopened.spent(keyName: "a", period: .day) == 0.875)
        reopened.close()
    }

    @Test func manyAppendsAreCompactedToDailyTotals() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let enforcer = try LimitsEnforcer.persistent(
            stateDirectory: directory, logger: Logger(label: "test"), calendar: .fixed(Self.utc), date: { now })
        let limits = KeyLimits(keyName: "busy", requestsPerMinute: 0, tokensPerMinute: 0, budget: .init(usd: 1000, period: .month))
        for _ in 0...LimitsEnforcer.compactionThreshold {
            let admission = try enforcer.admit(limits, estimate: TokenEstimate(promptTokens: 1, maxOutputTokens: 1), worstCaseCost: 0.01).get()
            enforcer.settle(admission, actualTokens: 2, cost: 0.001)
        }
        enforcer.waitUntilDurable()
        let lines = try String(contentsOfFile: directory + "/spend.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count < 100)
        let reopened = try LimitsEnforcer.persistent(
            stateDirectory: directory, logger: Logger(label: "test"), calendar: .fixed(Self.utc), date: { now })
        #expect(abs(reopened.spent(keyName: "busy", period: .month) - Double(LimitsEnforcer.compactionThreshold + 1) * 0.001) < 1e-6)
        reopened.close()
    }
}
