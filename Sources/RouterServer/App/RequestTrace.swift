import Synchronization

/// What one request did, gathered as it runs and written to the access log when it ends.
/// A reference so a streaming body can finish it after the handler has returned.
package final class RequestTrace: Sendable {
    package struct Fields: Sendable {
        package var method: String?
        package var path: String?
        package var keyName: String?
        package var model: String?
        package var route: String?
        package var provider: String?
        package var upstreamModel: String?
        package var status: Int = 0
        package var stream = false
        package var inputTokens: Int?
        package var outputTokens: Int?
        package var costUSD: Double?
        package var ttfb: Duration?
        package var attempts = 0
        package var errorClass: String?
        /// The response body finishes the trace itself (streams).
        package var completesInBody = false
    }

    package let start = ContinuousClock.now
    private let fields = Mutex(Fields())

    package init() {}

    @discardableResult
    package func update<Result>(_ body: (inout Fields) -> Result) -> Result {
        fields.withLock { body(&$0) }
    }

    package var snapshot: Fields { fields.withLock { $0 } }

    package func markFirstByte() {
        let elapsed = ContinuousClock.now - start
        fields.withLock { if $0.ttfb == nil { $0.ttfb = elapsed } }
    }
}
