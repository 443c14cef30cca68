// Classifies what went wrong with one upstream attempt (SPEC §5): whether the request may
// move on to the next target, and whether the failure counts against the target's breaker.

/// Why one attempt at an upstream failed.
package enum UpstreamFailure: Sendable, Equatable {
    /// Could not connect (refused, DNS, TLS).
    case connect
    /// No response head within the provider's `timeout`.
    case timeout
    /// The upstream closed the connection before answering (often a stale pooled connection).
    case connectionClosed
    /// The upstream answered with an error status.
    case status(Int)

    /// 408, 429 and every 5xx (529 "overloaded" included) may succeed elsewhere; other 4xx are
    /// the client's own mistake and go back to it unchanged.
    package static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// Whether the request may move to the next target (before the first byte reached the client).
    package var isRetryable: Bool {
        switch self {
        case .connect, .timeout, .connectionClosed: true
        case .status(let status): Self.isRetryable(status: status)
        }
    }

    /// Whether the target's circuit breaker should record a failure. A client's own 4xx says
    /// nothing about the target's health.
    package var countsAgainstTarget: Bool { isRetryable }

    /// Short, secret-free name for the access log's `error` field, metrics labels and
    /// `/health/providers`' last error.
    package var errorClass: String {
        switch self {
        case .connect: "upstream_connect_error"
        case .timeout: "upstream_timeout"
        case .connectionClosed: "upstream_connection_closed"
        case .status(let status): "upstream_\(status)"
        }
    }

    /// The status to answer the client with when this was the last attempt and every
    /// fallback failed: 504 for a timeout, 503 when the provider said it is busy or unavailable
    /// (429, 503, 529; our own 429 is reserved for the client's key limits), 502 otherwise.
    /// A non-retryable status is returned to the client unchanged.
    package var clientStatus: Int {
        switch self {
        case .timeout: 504
        case .connect, .connectionClosed: 502
        case .status(let status) where !Self.isRetryable(status: status): status
        case .status(429), .status(503), .status(529): 503
        case .status(504), .status(408): 504
        case .status: 502
        }
    }
}
