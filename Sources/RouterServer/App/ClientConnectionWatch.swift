import NIOCore
import Synchronization

/// Notices a client hanging up while its request waits on an upstream, and cancels that request's
/// task, which cancels the upstream call: a developer who stops a slow, non-streamed answer in
/// their editor stops paying for its generation. (A stream already notices at its next write.)
///
/// One per client connection, in the pipeline after HTTP decoding; found by the request through a
/// registry keyed by its channel (the request's code sees the channel, not the pipeline).
final class ClientConnectionWatch: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        /// The task of the request waiting on an upstream. Valid while armed: the task disarms
        /// before it can end.
        nonisolated(unsafe) var waiting: UnsafeCurrentTask?
        var closed = false
    }

    private let state = Mutex(State())
    private static let registry = Mutex<[ObjectIdentifier: ClientConnectionWatch]>([:])

    func handlerAdded(context: ChannelHandlerContext) {
        let watch = self
        Self.registry.withLock { $0[ObjectIdentifier(context.channel)] = watch }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        Self.registry.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(context.channel)) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    /// Hummingbird's connections allow half-closure, so a client that hangs up first shows as
    /// input closed (the channel stays active); like nginx, a proxy treats that as the client
    /// giving up.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { hungUp() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hungUp()
        Self.registry.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(context.channel)) }
        context.fireChannelInactive()
    }

    private func hungUp() {
        state.withLock { state in
            state.closed = true
            state.waiting?.cancel()
        }
    }

    /// Whether the client of `channel` has hung up.
    static func clientHungUp(_ channel: any Channel) -> Bool {
        guard let watch = registry.withLock({ $0[ObjectIdentifier(channel)] }) else { return !channel.isActive }
        return watch.state.withLock { $0.closed }
    }

    /// Runs `body`, cancelling the current task if `channel`'s client hangs up meanwhile (or
    /// already has).
    static func cancellingOnHangUp<Result>(of channel: any Channel, _ body: () async throws -> Result) async throws -> Result {
        guard let watch = registry.withLock({ $0[ObjectIdentifier(channel)] }) else { return try await body() }
        withUnsafeCurrentTask { task in
            watch.state.withLock { state in
                state.waiting = task
                if state.closed { task?.cancel() }
            }
        }
        defer { watch.state.withLock { $0.waiting = nil } }
        return try await body()
    }
}
