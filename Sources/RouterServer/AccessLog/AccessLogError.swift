/// Why the access log could not be set up; its description names the path and the OS reason.
package enum AccessLogError: Error, Equatable, CustomStringConvertible {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotReadDirectory(path: String, reason: String)
    case invalidSince(String)

    package var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            "cannot create access log directory \(path): \(reason)"
        case .cannotReadDirectory(let path, let reason):
            "cannot read access log directory \(path): \(reason)"
        case .invalidSince(let text):
            "invalid --since '\(text)': expected a duration like 30m, 24h, 7d, 2w, a date YYYY-MM-DD, or an RFC 3339 time"
        }
    }
}
