import NIOCore
import NIOPosix

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
    // The deadline is a timer on the current event loop, not a `Task.sleep` child: Swift's sleep
    // goes through libdispatch's timer thread (NIO takes over only the plain enqueue hook), which
    // cost a thread wake-up per request and kept every finished request's sleep queued until its
    // full request_timeout had passed.
    let remaining = deadline - ContinuousClock.now
    let timeout = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(remaining.nanoseconds)) {
        continuation.yield(.failed(UpstreamError(kind: .timeout, message: "request_timeout reached")))
        continuation.finish()
    }
    defer { timeout.cancel() }
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
        defer { group.cancelAll() }
        return try await consume(chunks)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (a deadline in the past is zero).
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
