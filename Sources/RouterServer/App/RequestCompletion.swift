import Foundation

/// Writes a request's access-log line exactly once, when its response is done: at once for
/// ordinary responses, at the end of the body for streams.
package struct RequestCompletion: Sendable {
    let trace: RequestTrace
    let requestID: String

    package init(context: RouterRequestContext) {
        self.trace = context.trace
        self.requestID = context.requestID
    }

    init(trace: RequestTrace, requestID: String) {
        self.trace = trace
        self.requestID = requestID
    }

    package func complete(_ runtime: RouterRuntime) {
        let latency = ContinuousClock.now - trace.start
        runtime.countRequest()
        let fields = runtime.accounting.requestFinished(requestID: requestID, trace: trace, latency: latency, snapshot: runtime.snapshot)
        guard let sink = runtime.accessLog else { return }
        sink.record(
            FinishedRequest(
                timestamp: Date(), requestID: requestID, keyName: fields.keyName,
                method: fields.method ?? "", path: fields.path ?? "", fields: fields, latency: latency
            )
        )
    }
}
