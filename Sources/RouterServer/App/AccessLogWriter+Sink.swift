import Foundation
import RouterCore

extension AccessLogWriter: AccessLogSink {
    package func record(_ entry: consuming FinishedRequest) {
        append(AccessLogRecord(entry))
    }
}

extension AccessLogRecord {
    package init(_ entry: consuming FinishedRequest) {
        let fields = entry.fields
        self.init(
            timestamp: entry.timestamp,
            requestID: entry.requestID,
            keyName: entry.keyName,
            method: entry.method,
            path: entry.path,
            model: fields.model,
            route: fields.route,
            provider: fields.provider,
            upstreamModel: fields.upstreamModel,
            status: fields.status,
            stream: fields.stream,
            inputTokens: fields.inputTokens,
            outputTokens: fields.outputTokens,
            costUSD: fields.costUSD,
            latencyMilliseconds: entry.latency.milliseconds,
            timeToFirstByteMilliseconds: fields.ttfb?.milliseconds,
            attempts: fields.attempts,
            error: fields.errorClass
        )
    }
}

extension Duration {
    /// Fractional milliseconds, for logs and metrics.
    package var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
