// Parses the upstream's `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.

import Foundation

package enum RetryAfter {
    /// How long the upstream asks us to wait, or nil when the header is unusable.
    /// A date in the past gives `.zero`. Fractional seconds ("1.5"), which some providers send,
    /// are accepted too.
    package static func parse(_ header: String, now: Date) -> Duration? {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { return nil }
        if value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard let seconds = Double(value), seconds.isFinite else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
        // asctime pads the day with a space ("Nov  6"); one space is enough for the formatter.
        let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        guard let date = httpDate(collapsed) else { return nil }
        let interval = date.timeIntervalSince(now)
        return interval > 0 ? .milliseconds(Int64((interval * 1000).rounded(.up))) : .zero
    }

    /// IMF-fixdate, plus the obsolete RFC 850 and asctime forms recipients must accept.
    private static func httpDate(_ value: String) -> Date? {
        let formats = [
            "EEE, dd MMM yyyy HH:mm:ss zzz",
            "EEEE, dd-MMM-yy HH:mm:ss zzz",
            "EEE MMM d HH:mm:ss yyyy",
        ]
        // A formatter per call: parsing happens only on a rate-limited answer, and
        // `DateFormatter` is not Sendable, so it cannot be a shared static.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in formats {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
        return nil
    }
}
