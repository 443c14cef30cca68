import Foundation

/// Where finished requests go: the JSON Lines access log in the daemon, a list in tests.
package protocol AccessLogSink: Sendable {
    /// Consuming: the record's strings move on to the log instead of being copied (retained) again.
    func record(_ entry: consuming FinishedRequest)
}

/// One finished request, as the access log needs it.
package struct FinishedRequest: Sendable {
    package var timestamp: Date
    package var requestID: String
    package var keyName: String?
    package var method: String
    package var path: String
    package var fields: RequestTrace.Fields
    package var latency: Duration
}
