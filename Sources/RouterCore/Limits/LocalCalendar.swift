import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Local days and months, for budgets, the spend history and the access log's day files.
///
/// `.system` asks the C library (the `TZ` variable, else /etc/localtime, as every other program on
/// the machine does); `.fixed` a Foundation calendar, so tests can pin a zone. The daemon uses
/// `.system`: `Calendar.current` and `TimeZone.current` load ICU with its time-zone and locale
/// data, ~2.5 MB of the daemon's idle RSS (docs/benchmarks.md, "Idle RSS").
package enum LocalCalendar: Sendable, Equatable {
    case system
    case fixed(Calendar)

    package enum Unit: Sendable {
        case day
        case month
    }

    /// The local day or month containing `date`: its start, and the start of the next one.
    package func interval(of unit: Unit, containing date: Date) -> (start: Date, end: Date) {
        switch self {
        case .fixed(let calendar):
            let interval = calendar.dateInterval(of: unit == .day ? .day : .month, for: date)
            return (interval?.start ?? date, interval?.end ?? date)
        case .system:
            var parts = Self.localParts(of: date)
            parts.tm_hour = 0
            parts.tm_min = 0
            parts.tm_sec = 0
            if unit == .month { parts.tm_mday = 1 }
            let start = Self.date(from: parts)
            if unit == .month { parts.tm_mon += 1 } else { parts.tm_mday += 1 }
            return (start, Self.date(from: parts))
        }
    }

    package func startOfDay(for date: Date) -> Date {
        interval(of: .day, containing: date).start
    }

    /// `date` moved by whole local days (the same wall-clock time, across DST changes).
    package func date(addingDays days: Int, to date: Date) -> Date {
        switch self {
        case .fixed(let calendar):
            return calendar.date(byAdding: .day, value: days, to: date) ?? date
        case .system:
            var parts = Self.localParts(of: date)
            parts.tm_mday += Int32(days)
            return Self.date(from: parts) + (date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down))
        }
    }

    /// Seconds east of UTC at `date`.
    package func utcOffsetSeconds(at date: Date) -> Int {
        switch self {
        case .fixed(let calendar): calendar.timeZone.secondsFromGMT(for: date)
        case .system: Int(Self.localParts(of: date).tm_gmtoff)
        }
    }

    /// `localtime_r` need not read `TZ` itself (POSIX); `tzset` once does.
    private static let zoneLoaded: Void = tzset()

    private static func localParts(of date: Date) -> tm {
        _ = zoneLoaded
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return parts
    }

    /// `mktime` normalises out-of-range fields (day 32, month 13) and, with `tm_isdst` unknown,
    /// picks the offset in force at that wall-clock time (a skipped midnight becomes 01:00).
    private static func date(from parts: tm) -> Date {
        var parts = parts
        parts.tm_isdst = -1
        return Date(timeIntervalSince1970: TimeInterval(mktime(&parts)))
    }
}
