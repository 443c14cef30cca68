import NIOCore

/// Reads an upstream body under the request's deadline. The reading happens in a child task so
/// the deadline can end it even while a read hangs; chunks are handed over as they arrive.
package enum UpstreamChunk: Sendable {
    case data(ByteBuffer)
    case end
    case failed(UpstreamError)
}

package func withUpstreamChunks<Result: Sendable>(
    of body: UpstreamBody,
    deadline: ContinuousClock.Instant,
    _ consume: (AsyncStream<UpstreamChunk>) async throws -> Result
) async throws -> Result {
    let (chunks, continuation) = AsyncStream<UpstreamChunk>.makeStream()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                for try await buffer in body {
                    continuation.yield(.data(buffer))
                }
                continuation.yield(.end)
            } catch {
                continuation.yield(.failed(UpstreamTransport.classify(error)))
            }
            continuation.finish()
        }
        group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled {
                continuation.yield(.failed(UpstreamError(kind: .timeout, message: "request_timeout reached")))
                continuation.finish()
            }
        }
        defer { group.cancelAll() }
        return try await consume(chunks)
    }
}
