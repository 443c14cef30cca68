import Hummingbird
import NIOCore
import RouterCore

/// Relays an upstream SSE stream to the client event by event as it arrives: events split
/// across reads are reassembled, comments dropped, and everything that arrived in one read leaves
/// in one write. A stream that breaks after its first byte ends with an error event in the
/// client's format, never a silent truncation or a clean end.
package struct StreamRelay<Transformer: StreamTransformer>: Sendable {
    package var transformer: Transformer
    package var deadline: ContinuousClock.Instant
    package var trace: RequestTrace

    /// An upstream that never ends a line must not grow our memory without bound.
    private static var maxPendingLine: Int { 1 << 20 }

    package init(transformer: Transformer, deadline: ContinuousClock.Instant, trace: RequestTrace) {
        self.transformer = transformer
        self.deadline = deadline
        self.trace = trace
    }

    package mutating func relay(_ body: UpstreamBody, to writer: inout any ResponseBodyWriter) async throws {
        var parser = SSEParser()
        var failure: UpstreamError?
        var transformer = self.transformer
        let trace = self.trace
        defer {
            if let usage = transformer.usage, usage.inputTokens > 0 || usage.outputTokens > 0 {
                trace.update {
                    $0.inputTokens = usage.inputTokens
                    $0.outputTokens = usage.outputTokens
                }
            }
        }
        try await withUpstreamChunks(of: body, deadline: deadline) { chunks in
            loop: for await chunk in chunks {
                switch chunk {
                case .data(let buffer):
                    var out = ByteBuffer()
                    for event in parser.feed(buffer.readableBytesView) {
                        transformer.transform(event, into: &out)
                    }
                    if out.readableBytes > 0 {
                        trace.markFirstByte()
                        try await writer.write(out)
                    }
                    if parser.bufferedByteCount > Self.maxPendingLine {
                        failure = UpstreamError(kind: .invalidResponse, message: "upstream sent an SSE line over 1 MiB")
                        break loop
                    }
                case .end:
                    break loop
                case .failed(let error):
                    failure = error
                    break loop
                }
            }
        }
        var out = ByteBuffer()
        if failure == nil {
            if let last = parser.finish() { transformer.transform(last, into: &out) }
            if let incomplete = transformer.finish(into: &out) {
                failure = UpstreamError(kind: .connectionClosed, message: incomplete)
            }
        }
        if let failure {
            trace.update { $0.errorClass = "stream_\(failure.kind.rawValue)" }
            out.writeString(
                transformer.failureEvent(
                    message: "The upstream stream failed after it started: \(failure.message).",
                    code: failure.kind == .timeout ? "upstream_timeout" : "upstream_stream_error"
                )
            )
        } else if transformer.sawUpstreamError {
            trace.update { $0.errorClass = "upstream_stream_error" }
        }
        if out.readableBytes > 0 { try await writer.write(out) }
        self.transformer = transformer
    }
}
