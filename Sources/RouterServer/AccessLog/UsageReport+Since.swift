import Foundation

extension UsageReport {
    /// Parses `usage --since`: `all`; a duration back from `now` (`90s`, `30m`, `24h`, `7d`, `2w`;
    /// a day is 24 hours here); a local date `2026-11-01` (its midnight in `timeZone`); or an RFC 3339
    /// time with offset.
    package static func parseSince(_ text: String, now: Date, timeZone: TimeZone = .current) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "all" {
            return Date(timeIntervalSince1970: 0)
        }
        if let unit = trimmed.last, let amount = Int(trimmed.dropLast()), amount >= 0 {
            let unitSeconds: Double? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86_400
                case "w": 604_800
                default: nil
                }
            if let unitSeconds {
                return now.addingTimeInterval(-Double(amount) * unitSeconds)
            }
        }
        if let day = AccessLogTimestamp.dayNumber(parsing: trimmed) {
            let civil = AccessLogTimestamp.civilDate(dayNumber: day)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            // Calendar, not offset arithmetic: it knows zones whose midnight is skipped by DST.
            if let midnight = calendar.date(from: DateComponents(year: civil.year, month: civil.month, day: civil.day)) {
                return calendar.startOfDay(for: midnight)
            }
        }
        if let date = AccessLogTimestamp.parseRFC3339(trimmed) {
            return date
        }
        throw AccessLogError.invalidSince(text)
    }
}
