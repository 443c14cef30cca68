// Spending budget math for one key: reserve the worst-case cost before sending, settle the real
// cost afterwards, and never admit a request that could push spending over the budget.
//
// Pure: time is a `Date` (periods are calendar days or months), passed in; the calendar, with
// its time zone, is injected so tests fix both.

import Foundation

/// Money already reserved for one in-flight request.
package struct BudgetReservation: Sendable, Hashable {
    package let id: UInt64
    package let amount: Double
}

package enum BudgetDecision: Sendable, Equatable {
    case reserved(BudgetReservation)
    /// Spent + reserved + this reservation would exceed the budget. `remaining` is what the
    /// period still has unreserved; `resetsAt` is the start of the next period.
    case rejected(remaining: Double, resetsAt: Date)
}

/// One key's budget over a repeating calendar period.
package struct BudgetLedger: Sendable, Equatable {
    package enum Period: String, Sendable, Equatable {
        case day
        case month
    }

    /// USD per period.
    package let budget: Double
    package let period: Period
    package let calendar: LocalCalendar

    /// Spent USD keyed by period start; only the current period is kept once time moves on.
    package private(set) var spentByPeriod: [Date: Double] = [:]
    /// Outstanding reservations. They count against whichever period is current, and settle
    /// into the period in which they finish.
    private var reservations: [UInt64: Double] = [:]
    private var nextReservationID: UInt64 = 1

    /// Floating-point sums of many small costs drift; a cent-fraction tolerance keeps an
    /// exactly-full budget from rejecting its last request.
    private static let tolerance = 1e-9

    package init(budget: Double, period: Period, calendar: LocalCalendar) {
        self.budget = budget
        self.period = period
        self.calendar = calendar
    }

    /// Total of outstanding reservations.
    package var reserved: Double { reservations.values.reduce(0, +) }

    package func spent(at now: Date) -> Double {
        spentByPeriod[periodStart(containing: now)] ?? 0
    }

    /// What is neither spent nor reserved in the period containing `now` (never negative).
    package func remaining(at now: Date) -> Double {
        max(0, budget - spent(at: now) - reserved)
    }

    /// The start of the day or month containing `date`, in the injected calendar's time zone.
    package func periodStart(containing date: Date) -> Date {
        calendar.interval(of: unit, containing: date).start
    }

    /// The start of the period after the one containing `date`.
    package func nextPeriodStart(after date: Date) -> Date {
        calendar.interval(of: unit, containing: date).end
    }

    /// Sets aside `amount` (the worst case: prompt plus `max_tokens` at the target's price).
    package mutating func reserve(_ amount: Double, now: Date) -> BudgetDecision {
        forgetPastPeriods(now: now)
        let amount = max(0, amount)
        guard spent(at: now) + reserved + amount <= budget + Self.tolerance else {
            return .rejected(remaining: remaining(at: now), resetsAt: nextPeriodStart(after: now))
        }
        let reservation = BudgetReservation(id: nextReservationID, amount: amount)
        nextReservationID &+= 1
        reservations[reservation.id] = amount
        return .reserved(reservation)
    }

    /// The request finished and cost `actualCost`: release its reservation and record the spend.
    /// A reservation settled twice is charged once.
    package mutating func settle(_ reservation: BudgetReservation, actualCost: Double, now: Date) {
        forgetPastPeriods(now: now)
        guard reservations.removeValue(forKey: reservation.id) != nil else { return }
        record(spend: actualCost, at: now)
    }

    /// The request ended without cost (rejected before sending, cancelled before any upstream call).
    package mutating func release(_ reservation: BudgetReservation) {
        reservations.removeValue(forKey: reservation.id)
    }

    /// Adds spend outside a reservation, e.g. replaying the access log at start-up.
    /// Spend dated in an already-ended period is dropped at the next `reserve` or `settle`.
    package mutating func record(spend: Double, at date: Date) {
        guard spend > 0 else { return }
        spentByPeriod[periodStart(containing: date), default: 0] += spend
    }

    private var unit: LocalCalendar.Unit {
        switch period {
        case .day: .day
        case .month: .month
        }
    }

    private mutating func forgetPastPeriods(now: Date) {
        let current = periodStart(containing: now)
        spentByPeriod = spentByPeriod.filter { $0.key >= current }
    }
}
