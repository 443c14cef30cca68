import Foundation

/// Remembers a zone's UTC offset until its next transition, so formatting a timestamp does not
/// ask ICU for the offset on every line. Not thread-safe: each thread keeps its own.
struct AccessLogUTCOffsetCache {
    let timeZone: TimeZone
    private var validFrom = Date.distantFuture
    private var validUntil = Date.distantPast
    private var cachedOffset = 0

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    mutating func offset(for date: Date) -> Int {
        if date >= validFrom && date < validUntil {
            return cachedOffset
        }
        cachedOffset = timeZone.secondsFromGMT(for: date)
        validFrom = date
        validUntil = timeZone.nextDaylightSavingTimeTransition(after: date) ?? .distantFuture
        return cachedOffset
    }
}
