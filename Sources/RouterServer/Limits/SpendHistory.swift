import Foundation
import RouterCore

/// Money spent per key per local day: what the ledger file replays into, and what a compacted
/// ledger file holds. Days are kept long enough for any month budget.
package struct SpendHistory: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        package var keyName: String
        /// When the (last) spend happened; replaying it puts the money in the right day and month.
        package var at: Date
        package var usd: Double

        package init(keyName: String, at: Date, usd: Double) {
            self.keyName = keyName
            self.at = at
            self.usd = usd
        }
    }

    /// Long enough that the current month is always whole.
    package static let keptDays = 62

    package let calendar: LocalCalendar
    /// Key name -> local day start -> (total, last spend time).
    private var days: [String: [Date: (usd: Double, last: Date)]] = [:]

    package init(calendar: LocalCalendar) {
        self.calendar = calendar
    }

    package static func == (lhs: SpendHistory, rhs: SpendHistory) -> Bool {
        lhs.entries == rhs.entries
    }

    package mutating func add(_ entry: Entry) {
        guard entry.usd > 0, entry.usd.isFinite else { return }
        let day = calendar.startOfDay(for: entry.at)
        let previous = days[entry.keyName, default: [:]][day]
        days[entry.keyName, default: [:]][day] = (
            (previous?.usd ?? 0) + entry.usd, max(previous?.last ?? entry.at, entry.at)
        )
    }

    /// Drops days too old to count towards any budget.
    package mutating func prune(now: Date) {
        let cutoff = calendar.date(addingDays: -Self.keptDays, to: calendar.startOfDay(for: now))
        for key in days.keys {
            days[key] = days[key]?.filter { $0.key >= cutoff }
            if days[key]?.isEmpty == true { days[key] = nil }
        }
    }

    /// One entry per key and day, oldest first.
    package var entries: [Entry] {
        days.flatMap { key, perDay in perDay.map { Entry(keyName: key, at: $0.value.last, usd: $0.value.usd) } }
            .sorted { ($0.at, $0.keyName) < ($1.at, $1.keyName) }
    }

    package func entries(for keyName: String) -> [Entry] {
        (days[keyName] ?? [:]).map { Entry(keyName: keyName, at: $0.value.last, usd: $0.value.usd) }
    }

    package var count: Int { days.values.reduce(0) { $0 + $1.count } }
}
