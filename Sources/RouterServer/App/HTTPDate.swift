import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `Date` header of responses (RFC 9110 §6.6.1: an origin server with a clock sends one),
/// formatted once a second rather than once a response.
enum HTTPDate {
    private static let cache = Mutex<(second: time_t, text: String)>((-1, ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cached in
            if cached.second != second { cached = (second, format(second)) }
            return cached.text
        }
    }

    /// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (the C locale's day and month names).
    static func format(_ second: time_t) -> String {
        var seconds = second
        var utc = tm()
        gmtime_r(&seconds, &utc)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &utc)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
