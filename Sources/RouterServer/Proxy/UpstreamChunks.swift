import NIOCore
import NIOPosix

/// Reads an upstream body under the request's deadline. The reading happens in a child task so
/// the deadline can end it even while a read hangs; chunks are handed over as they arrive.
package enum UpstreamChunk: Sendable {
    case data(ByteBuffer)
    case end
    case failed(UpstreamError)
}

/// The chunks of one upstream body, ending in `.end` or `.failed`: read straight from the body
/// when the body enforces the deadline itself, else handed over by a reader task.
package struct UpstreamChunks: AsyncSequence, Sendable {
    package typealias Element = UpstreamChunk
    package typealias Failure = Never

    private enum Source: Sendable {
        case direct(UpstreamBody)
        case relayed(AsyncStream<UpstreamChunk>)
    }

    private let source: Source

    package struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate enum State {
            case direct(UpstreamBody.AsyncIterator)
            case relayed(AsyncStream<UpstreamChunk>.AsyncIterator)
            case done
        }

        fileprivate var state: State

        package mutating func next() async -> UpstreamChunk? {
            switch state {
            case .direct(var iterator):
                do {
                    if let buffer = try await iterator.next() {
                        state = .direct(iterator)
                        return .data(buffer)
                    }
                    state = .done
                    return .end
                } catch {
                    state = .done
                    return .failed(UpstreamTransport.classify(error))
                }
            case .relayed(var iterator):
                let chunk = await iterator.next()
                state = .relayed(iterator)
                return chunk
            case .done:
                return nil
            }
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .direct(let body): AsyncIterator(state: .direct(body.makeAsyncIterator()))
        case .relayed(let stream): AsyncIterator(state: .relayed(stream.makeAsyncIterator()))
        }
    }

    fileprivate static func direct(_ body: UpstreamBody) -> UpstreamChunks { UpstreamChunks(source: .direct(body)) }
    fileprivate static func relayed(_ stream: AsyncStream<UpstreamChunk>) -> UpstreamChunks { UpstreamChunks(source: .relayed(stream)) }
}

package func withUpstreamChunks<Result: Sendable>(
    of body: UpstreamBody,
    deadline: ContinuousClock.Instant,
    _ consume: (UpstreamChunks) async throws -> Result
) async throws -> Result {
    // Our own client's bodies end themselves at the deadline (a timer on their connection):
    // no reader task, no hand-over, no extra hops.
    if body.enforce(deadline: deadline) {
        return try await consume(.direct(body))
    }
    let (chunks, continuation) = AsyncStream<UpstreamChunk>.makeStream()
    // The deadline is a timer on the current event loop, not a `Task.sleep` child: Swift's sleep
    // goes through libdispatch's timer thread (NIO takes over only the plain enqueue hook), which
    // cost a thread wake-up per request and kept every finished request's sleep queued until its
    // full request_timeout had passed.
    let timeout = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: (deadline - ContinuousClock.now).timeAmount) {
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
        return try await consume(.relayed(chunks))
    }
}
