import Foundation

/// RFC 3339 timestamps and civil-date arithmetic for the access log, by hand:
/// this runs once per request (format) and once per line when reading a month of logs (parse),
/// where `DateFormatter`/`ISO8601DateFormatter` cost microseconds and are not `Sendable`.
package enum AccessLogTimestamp {
    package static let secondsPerDay = 86_400

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    package static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `dayNumber(year:month:day:)` (H. Hinnant's `civil_from_days`).
    package static func civilDate(dayNumber: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = dayNumber + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD` for a day number.
    package static func dayString(dayNumber: Int) -> String {
        let date = civilDate(dayNumber: dayNumber)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        appendDigits(&bytes, date.year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, date.month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, date.day, width: 2)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DD` into a day number; nil if malformed.
    package static func dayNumber(parsing text: some StringProtocol) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return dayNumber(year: year, month: month, day: day)
    }

    /// Whole milliseconds since the epoch, rounded to the microsecond first so that
    /// `x.9` seconds built from a `Double` is not printed as `.899`.
    package static func epochMilliseconds(_ date: Date) -> Int64 {
        let microseconds = (date.timeIntervalSince1970 * 1_000_000).rounded()
        return Int64((microseconds / 1000).rounded(.down))
    }

    /// The local day number of `date` for a zone `utcOffsetSeconds` ahead of UTC.
    package static func localDayNumber(_ date: Date, utcOffsetSeconds: Int) -> Int {
        let localMilliseconds = epochMilliseconds(date) + Int64(utcOffsetSeconds) * 1000
        return Int(floorDivide(localMilliseconds, 86_400_000))
    }

    /// Appends `2026-11-23T14:02:03.123+01:00` (or `…Z` at offset 0) to `bytes`.
    package static func appendRFC3339(_ date: Date, utcOffsetSeconds: Int, to bytes: inout [UInt8]) {
        let localMilliseconds = epochMilliseconds(date) + Int64(utcOffsetSeconds) * 1000
        let day = floorDivide(localMilliseconds, 86_400_000)
        let millisecondOfDay = Int(localMilliseconds - day * 86_400_000)
        let civil = civilDate(dayNumber: Int(day))
        appendDigits(&bytes, civil.year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, civil.month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, civil.day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(&bytes, millisecondOfDay / 3_600_000, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(&bytes, millisecondOfDay / 60_000 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(&bytes, millisecondOfDay / 1000 % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        appendDigits(&bytes, millisecondOfDay % 1000, width: 3)
        if utcOffsetSeconds == 0 {
            bytes.append(UInt8(ascii: "Z"))
        } else {
            let offsetMinutes = abs(utcOffsetSeconds) / 60
            bytes.append(UInt8(ascii: utcOffsetSeconds < 0 ? "-" : "+"))
            appendDigits(&bytes, offsetMinutes / 60, width: 2)
            bytes.append(UInt8(ascii: ":"))
            appendDigits(&bytes, offsetMinutes % 60, width: 2)
        }
    }

    package static func rfc3339(_ date: Date, timeZone: TimeZone) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        appendRFC3339(date, utcOffsetSeconds: timeZone.secondsFromGMT(for: date), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses an RFC 3339 timestamp (`T` or space, optional fraction, `Z` or `±HH:MM`) into
    /// seconds since the epoch; nil if malformed.
    package static func parseRFC3339(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = bytes.count
        guard count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
                fraction += Double(bytes[index] &- UInt8(ascii: "0")) * scale
                scale *= 0.1
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 <= count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = number(bytes, index + 1, 2), let offsetMinutes = number(bytes, index + 4, 2)
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == count else { return nil }
        let days = dayNumber(year: year, month: month, day: day)
        let seconds = days * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds
        return Double(seconds) + fraction
    }

    package static func parseRFC3339(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parseRFC3339($0).map(Date.init(timeIntervalSince1970:)) }
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    @inline(__always)
    static func appendDigits(_ bytes: inout [UInt8], _ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        if remaining >= divisor * 10 {
            // Wider than expected (a year past 9999): print every digit rather than wrap.
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }

    @inline(__always)
    private static func number<Bytes: RandomAccessCollection>(_ bytes: Bytes, _ start: Int, _ width: Int) -> Int?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var value = 0
        for index in start..<(start + width) {
            let digit = bytes[bytes.startIndex + index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}
