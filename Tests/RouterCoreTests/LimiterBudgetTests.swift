import Foundation
import Synchronization
import Testing

@testable import RouterCore

@Suite struct LimiterBudgetTests {
    private static func calendar(_ zone: String) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        return calendar
    }

    /// 2026-03-14 12:00 UTC.
    private let noon = Date(timeIntervalSince1970: 1_773_489_600)

    @Test func reservesUntilTheBudgetThenRejects() throws {
        var ledger = BudgetLedger(budget: 1.0, period: .day, calendar: .fixed(Self.calendar("UTC")))
        guard case .reserved(let first) = ledger.reserve(0.6, now: noon) else {
            Issue.record("first reservation rejected")
            return
        }
        guard case .reserved(let second) = ledger.reserve(0.4, now: noon) else {
            Issue.record("second reservation rejected")
            return
        }
        // Spent 0 + reserved 1.0 + 0.01 > 1.0.
        guard case .rejected(let remaining, let resetsAt) = ledger.reserve(0.01, now: noon) else {
            Issue.record("over-budget reservation accepted")
            return
        }
        #expect(remaining == 0)
        #expect(resetsAt == Date(timeIntervalSince1970: 1_773_532_800))  // 2026-03-15 00:00 UTC
        // Settling below the worst case frees the difference.
        ledger.settle(first, actualCost: 0.2, now: noon)
        ledger.release(second)
        #expect(abs(ledger.spent(at: noon) - 0.2) < 1e-12)
        #expect(ledger.reserved == 0)
        #expect(abs(ledger.remaining(at: noon) - 0.8) < 1e-12)
        if case .rejected = ledger.reserve(0.8, now: noon) { Issue.record("exact fit rejected") }
    }

    @Test func settlingTwiceChargesOnce() throws {
        var ledger = BudgetLedger(budget: 1.0, period: .day, calendar: .fixed(Self.calendar("UTC")))
        guard case .reserved(let reservation) = ledger.reserve(0.5, now: noon) else {
            Issue.record("rejected")
            return
        }
        ledger.settle(reservation, actualCost: 0.5, now: noon)
        ledger.settle(reservation, actualCost: 0.5, now: noon)
        #expect(ledger.spent(at: noon) == 0.5)
    }

    @Test func newDayStartsFreshInTheInjectedTimeZone() {
        // 2026-03-14 23:30 in Los Angeles is 2026-03-15 06:30 UTC.
        let calendar = Self.calendar("America/Los_Angeles")
        var ledger = BudgetLedger(budget: 1.0, period: .day, calendar: .fixed(calendar))
        let lateEvening = Date(timeIntervalSince1970: 1_773_556_200)
        ledger.record(spend: 1.0, at: lateEvening)
        if case .reserved = ledger.reserve(0.1, now: lateEvening) { Issue.record("spent budget reserved again") }
        let localMidnight = ledger.nextPeriodStart(after: lateEvening)
        #expect(localMidnight == Date(timeIntervalSince1970: 1_773_558_000))  // 2026-03-15 07:00 UTC (PDT)
        guard case .reserved = ledger.reserve(0.1, now: localMidnight) else {
            Issue.record("new day still rejected")
            return
        }
        #expect(ledger.spent(at: localMidnight) == 0)
        #expect(ledger.spentByPeriod.keys.allSatisfy { $0 >= localMidnight })
    }

    @Test func monthlyPeriods() {
        var ledger = BudgetLedger(budget: 10, period: .month, calendar: .fixed(Self.calendar("UTC")))
        #expect(ledger.periodStart(containing: noon) == Date(timeIntervalSince1970: 1_772_323_200))  // 2026-03-01
        #expect(ledger.nextPeriodStart(after: noon) == Date(timeIntervalSince1970: 1_775_001_600))  // 2026-04-01
        ledger.record(spend: 10, at: noon)
        if case .reserved = ledger.reserve(0.01, now: noon.addingTimeInterval(86_400 * 10)) {
            Issue.record("month's budget reused within the month")
        }
        guard case .reserved = ledger.reserve(0.01, now: Date(timeIntervalSince1970: 1_775_001_600)) else {
            Issue.record("next month still rejected")
            return
        }
    }

    @Test func concurrentReservationsNeverOverspend() async {
        let ledger = LimiterSharedLedger(BudgetLedger(budget: 5.0, period: .day, calendar: .fixed(Self.calendar("UTC"))))
        let now = noon
        let spends = await withTaskGroup(of: Double.self) { group in
            for request in 0..<200 {
                group.addTask {
                    // Worst case between 0.05 and 0.25; actual cost a fraction of it.
                    let worstCase = 0.05 + Double(request % 5) * 0.05
                    let decision = ledger.state.withLock { $0.reserve(worstCase, now: now) }
                    guard case .reserved(let reservation) = decision else { return 0 }
                    await Task.yield()
                    let actual = worstCase * Double(request % 4 + 1) / 4
                    ledger.state.withLock { $0.settle(reservation, actualCost: actual, now: now) }
                    return actual
                }
            }
            var accepted: [Double] = []
            for await spend in group { accepted.append(spend) }
            return accepted
        }
        let total = spends.reduce(0, +)
        let spent = ledger.state.withLock { $0.spent(at: now) }
        #expect(abs(total - spent) < 1e-9)
        #expect(spent <= 5.0 + 1e-9)
        #expect(spends.contains(0), "some requests should have been refused")
        #expect(ledger.state.withLock { $0.reserved } == 0)
    }

    @Test func interleavedReservationsCountAgainstEachOther() {
        var ledger = BudgetLedger(budget: 1.0, period: .day, calendar: .fixed(Self.calendar("UTC")))
        var held: [BudgetReservation] = []
        for _ in 0..<20 {
            if case .reserved(let reservation) = ledger.reserve(0.3, now: noon) { held.append(reservation) }
        }
        // Nothing settled yet: only three worst cases fit.
        #expect(held.count == 3)
        for reservation in held { ledger.settle(reservation, actualCost: 0.3, now: noon) }
        #expect(ledger.spent(at: noon) <= 1.0)
    }
}

/// The server's shape: one ledger behind a lock, shared by concurrent requests.
private final class LimiterSharedLedger: Sendable {
    let state: Mutex<BudgetLedger>

    init(_ ledger: BudgetLedger) {
        state = Mutex(ledger)
    }
}
