import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// How each client connection is set up: NIO's HTTP/1.1 request decoder and `RequestDispatchHandler`,
/// which does the rest (see there for why). Hummingbird's `Server` still
/// listens, accepts, and drains on shutdown (it sends each connection `ChannelShouldQuiesceEvent`).
struct RouterHTTPChannel: ServerChildChannel {
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    let responder: RouteTable.Responder
    let idleTimeout: Duration
    let maxBodyBytes: @Sendable () -> Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            // Hummingbird's limits: 80 KiB of headers, 1,000 fields; past them the connection
            // gets 400 and is closed (RequestDispatchHandler.errorCaught).
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 80 * 1024
            limits.maxHeaderListSize = 80 * 1024
            limits.maxHeaderFieldCount = 1000
            let pipeline = channel.pipeline.syncOperations
            // Only NIO's request decoder: responses are written as bytes (HTTP1ResponseEncoding),
            // and pipelining is RequestDispatchHandler's (NIO's pipelining handler stops reading
            // the socket during every response: two epoll_ctl calls per request).
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
            try pipeline.addHandler(
                RequestDispatchHandler(responder: responder, logger: logger, idleTimeout: idleTimeout.timeAmount, maxBodyBytes: maxBodyBytes))
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
