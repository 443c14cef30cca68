import Hummingbird
import HummingbirdCore
import Logging
import NIOCore


/// How each client connection is set up: `RequestDispatchHandler`, which does it all (see there
/// for why). Hummingbird's `Server` still
/// listens, accepts, and drains on shutdown (it sends each connection `ChannelShouldQuiesceEvent`).
struct RouterHTTPChannel: ServerChildChannel {
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    let responder: RouteTable.Responder
    var loopProxy: EventLoopProxy?
    let idleTimeout: Duration
    let maxBodyBytes: @Sendable () -> Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            // One handler: requests are parsed by it (HTTP1RequestParser), responses written as
            // bytes (HTTP1ResponseEncoding), and pipelining is its own (NIO's pipelining handler
            // stops reading the socket during every response: two epoll_ctl calls per request).
            try channel.pipeline.syncOperations.addHandler(
                RequestDispatchHandler(responder: responder, loopProxy: loopProxy, logger: logger, idleTimeout: idleTimeout.timeAmount, maxBodyBytes: maxBodyBytes))
            return Connection(channel: channel)
        }
    }

    /// The connection's requests are handled by its pipeline; this task only lives as long as the
    /// connection, so the server knows when it has drained (and closes it if cancelled).
    func handle(value: Connection, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await value.channel.closeFuture.get()
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}
