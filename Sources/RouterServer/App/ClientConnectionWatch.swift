import Synchronization

/// Notices a client hanging up while its request waits on an upstream, and cancels that request's
/// task, which cancels the upstream call: a developer who stops a slow, non-streamed answer in
/// their editor stops paying for its generation. (A stream already notices at its next write.)
///
/// One per client connection: `RequestDispatchHandler` reports the hang-up and hands the watch to
/// each request through its context.
final class ClientConnectionWatch: Sendable {
    private struct State {
        /// The task of the request waiting on an upstream. Valid while armed: the task disarms
        /// before it can end.
        nonisolated(unsafe) var waiting: UnsafeCurrentTask?
        var closed = false
        var closedByServer = false
    }

    private let state = Mutex(State())

    /// The client closed the connection (or its sending side: like nginx, a proxy treats that as
    /// the client giving up).
    func hungUp() {
        state.withLock { state in
            // Our own close of the client's input is not the client giving up.
            guard !state.closedByServer else { return }
            state.closed = true
            state.waiting?.cancel()
        }
    }

    /// The router stops reading the client itself (a body too slow to wait for) and answers it:
    /// the input's close that follows must not cancel the request that writes that answer. (With
    /// the request's code on the event loop, as in the daemon, the close is reported at once,
    /// before the answer is made: it was answered 499 instead of 408.)
    func serverClosesInput() {
        state.withLock { $0.closedByServer = true }
    }

    var hasHungUp: Bool { state.withLock { $0.closed } }

    /// Runs `body`, cancelling the current task if the client hangs up meanwhile (or already has).
    func cancellingOnHangUp<Result>(_ body: () async throws -> Result) async throws -> Result {
        withUnsafeCurrentTask { task in
            state.withLock { state in
                state.waiting = task
                if state.closed { task?.cancel() }
            }
        }
        defer { state.withLock { $0.waiting = nil } }
        return try await body()
    }
}
