import Foundation
import RouterCore

/// Remembers the UTC offset so formatting a timestamp does not look it up on every line: for a
/// given zone until its next transition; for the system zone (nil: the C library's, which keeps
/// ICU out of the daemon, see `LocalCalendar`) for the rest of the minute, as transitions fall on
/// whole minutes. Not thread-safe: each thread keeps its own.
struct AccessLogUTCOffsetCache {
    let timeZone: TimeZone?
    private var validFrom = Date.distantFuture
    private var validUntil = Date.distantPast
    private var cachedOffset = 0

    init(timeZone: TimeZone?) {
        self.timeZone = timeZone
    }

    mutating func offset(for date: Date) -> Int {
        if date >= validFrom && date < validUntil {
            return cachedOffset
        }
        validFrom = date
        if let timeZone {
            cachedOffset = timeZone.secondsFromGMT(for: date)
            validUntil = timeZone.nextDaylightSavingTimeTransition(after: date) ?? .distantFuture
        } else {
            cachedOffset = LocalCalendar.system.utcOffsetSeconds(at: date)
            validUntil = Date(timeIntervalSince1970: ((date.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
        }
        return cachedOffset
    }
}
