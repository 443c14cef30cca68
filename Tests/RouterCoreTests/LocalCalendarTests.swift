import Foundation
import Testing

@testable import RouterCore

#if canImport(Glibc)
import Glibc
#endif

/// `LocalCalendar.system` (the C library's local time, which keeps ICU out of the daemon) gives
/// the same days, months and offsets as Foundation's calendar in the same zone, DST changes and
/// half-hour zones included.
@Suite(.serialized) struct LocalCalendarTests {
    /// Runs `body` with the process's `TZ` set to `zone`, then puts it back.
    static func withProcessZone(_ zone: String, _ body: () -> Void) {
        let previous = getenv("TZ").map { String(cString: $0) }
        setenv("TZ", zone, 1)
        tzset()
        defer {
            if let previous { setenv("TZ", previous, 1) } else { unsetenv("TZ") }
            tzset()
        }
        body()
    }

    @Test(arguments: ["America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"])
    func systemAgreesWithFoundationInTheSameZone(_ zone: String) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        let reference = LocalCalendar.fixed(calendar)
        // Every 5 h 17 min through 2026: every hour of the day comes up, and both DST changes.
        let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        let instants = (0..<1_660).map { start + Double($0) * (5 * 3600 + 17 * 60) }
        Self.withProcessZone(zone) {
            for instant in instants {
                for unit in [LocalCalendar.Unit.day, .month] {
                    let system = LocalCalendar.system.interval(of: unit, containing: instant)
                    let expected = reference.interval(of: unit, containing: instant)
                    #expect(system.start == expected.start && system.end == expected.end, "\(zone) \(unit) at \(instant)")
                }
                #expect(LocalCalendar.system.utcOffsetSeconds(at: instant) == reference.utcOffsetSeconds(at: instant), "\(zone) offset at \(instant)")
                for days in [-62, 1] {
                    #expect(
                        LocalCalendar.system.date(addingDays: days, to: instant) == reference.date(addingDays: days, to: instant),
                        "\(zone) \(days) days from \(instant)")
                }
            }
        }
    }
}
