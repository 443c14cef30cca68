import Hummingbird
import NIOCore
import RouterCore

/// Passes an OpenAI-format SSE stream to the client event by event as it arrives: events split
/// across reads are reassembled, comments dropped, usage captured for the log, and the usage-only
/// chunk hidden from a client that did not ask for it. A stream that breaks after its first
/// byte ends with an SSE error event, never a silent truncation or a clean `[DONE]`.
package struct OpenAIStreamRelay: Sendable {
    package var clientWantsUsage: Bool
    package var deadline: ContinuousClock.Instant
    package var trace: RequestTrace

    package func relay(_ body: UpstreamBody, to writer: inout any ResponseBodyWriter) async throws {
        var parser = SSEParser()
        var sawDone = false
        var sawFinishReason = false
        var failure: UpstreamError?
        try await withUpstreamChunks(of: body, deadline: deadline) { chunks in
            loop: for await chunk in chunks {
                switch chunk {
                case .data(let buffer):
                    var out = ByteBuffer()
                    for event in parser.feed(buffer.readableBytesView) {
                        if process(event, into: &out, sawDone: &sawDone, sawFinishReason: &sawFinishReason) == false { continue }
                    }
                    if out.readableBytes > 0 {
                        trace.markFirstByte()
                        try await writer.write(out)
                    }
                    if parser.bufferedByteCount > 1 << 20 {
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
        if failure == nil, let last = parser.finish() {
            var out = ByteBuffer()
            process(last, into: &out, sawDone: &sawDone, sawFinishReason: &sawFinishReason)
            if out.readableBytes > 0 { try await writer.write(out) }
        }
        if failure == nil, !sawDone {
            if sawFinishReason {
                // Some OpenAI-compatible servers omit the terminator; the answer itself is complete.
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                sawDone = true
            } else {
                failure = UpstreamError(kind: .connectionClosed, message: "upstream ended the stream before it was complete")
            }
        }
        if let failure {
            trace.update { $0.errorClass = "stream_\(failure.kind.rawValue)" }
            let error = OpenAIError.upstream(
                status: .badGateway,
                message: "The upstream stream failed after it started: \(failure.message).",
                code: failure.kind == .timeout ? "upstream_timeout" : "upstream_stream_error"
            )
            try await writer.write(ByteBuffer(string: error.streamEvent))
        }
    }

    /// Appends the event to `out` unless it is to be hidden; returns whether it was kept.
    @discardableResult
    private func process(_ event: ServerSentEvent, into out: inout ByteBuffer, sawDone: inout Bool, sawFinishReason: inout Bool) -> Bool {
        if event.data == "[DONE]" {
            sawDone = true
            out.writeString("data: [DONE]\n\n")
            return true
        }
        if sawDone { return false }
        let data = event.data
        // Cheap textual checks first: only the last one or two events of a stream need decoding.
        if data.contains("\"finish_reason\":\"") || data.contains("\"finish_reason\": \"") { sawFinishReason = true }
        if data.contains("\"usage\":{") || data.contains("\"usage\": {") {
            if let usage = UsageScanner.scan(data.utf8) {
                trace.update {
                    $0.inputTokens = usage.inputTokens
                    $0.outputTokens = usage.outputTokens
                }
            }
            if !clientWantsUsage, let json = try? JSONValue.parse(Array(data.utf8)), json["choices"]?.arrayValue?.isEmpty == true {
                return false
            }
        }
        if data.hasPrefix("{\"error\"") || data.hasPrefix("{\"error\":") {
            trace.update { $0.errorClass = "upstream_stream_error" }
        }
        out.writeString(event.serialized)
        return true
    }
}
