import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The last handler of a client connection: hands each request to the router's responder in a
/// task of its own and writes the response straight to the channel.
///
/// Hummingbird's `HTTP1Channel` runs each connection as an async loop over `NIOAsyncChannel`'s
/// inbound sequence and writes through its `NIOAsyncWriter`: ~13% of the daemon's CPU per proxied
/// request, and the longest code path at low load (docs/benchmarks.md). Here a request whose end
/// arrives in the same read as its head (every small JSON request) is dispatched with its body in
/// one buffer; a body still arriving when the read ends is streamed to the handler as it comes.
/// One request at a time: NIO's pipelining handler, ahead of this one, holds the next request
/// until this response has ended.
final class RequestDispatchHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private enum RequestState {
        /// Between requests.
        case idle
        /// Head (and perhaps some body) read, end not yet: dispatched when this read ends.
        case collecting(HTTPRequest, ByteBuffer?)
        /// Dispatched before its body ended: the rest goes to the request's body stream.
        case streaming(AsyncThrowingStream<ByteBuffer, any Error>.Continuation, bytes: Int)
        /// The response ended before the request body did: the rest is read and dropped.
        case draining
    }

    private let responder: RouterResponder<RouterRequestContext>
    private let logger: Logger
    /// Bytes of a streamed body kept for the handler at most: past `server.max_body` it answers
    /// 413 without reading further, so the rest need not be held.
    private let maxBodyBytes: @Sendable () -> Int
    private var request = RequestState.idle
    private var responding = false
    /// The request in progress asked for `Connection: close`, or its body could not be read.
    private var closeAfterResponse = false
    private var inputClosed = false

    init(responder: RouterResponder<RouterRequestContext>, logger: Logger, maxBodyBytes: @escaping @Sendable () -> Int) {
        self.responder = responder
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), request) {
        case (.head(let head), _):
            closeAfterResponse = head.headerFields[.connection].map { Self.says($0, "close") } ?? false
            request = .collecting(head, nil)
        case (.body(let part), .collecting(let head, var body)):
            request = .idle  // so `body` is uniquely referenced while it grows
            if body == nil { body = part } else { body!.writeImmutableBuffer(part) }
            request = .collecting(head, body)
        case (.body(let part), .streaming(let continuation, let bytes)):
            if bytes <= maxBodyBytes() { continuation.yield(part) }
            request = .streaming(continuation, bytes: bytes + part.readableBytes)
        case (.body, _):
            break
        case (.end, .collecting(let head, let body)):
            request = .idle
            dispatch(context, head, body: RequestBody(buffer: body ?? ByteBuffer()))
        case (.end, .streaming(let continuation, _)):
            continuation.finish()
            request = .idle
        case (.end, _):
            request = .idle
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .collecting(let head, let body) = request {
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            if let body { continuation.yield(body) }
            request = .streaming(continuation, bytes: body?.readableBytes ?? 0)
            dispatch(context, head, body: RequestBody(asyncSequence: stream))
        }
        context.fireChannelReadComplete()
    }

    /// Connections allow half-closure: a client that shuts its side is done sending. Like
    /// Hummingbird's loop, close once the response in progress (if any) has ended.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            inputClosed = true
            endBodyStream(throwing: ChannelError.inputClosed)
            if !responding { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endBodyStream(throwing: ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    /// A request NIO cannot parse gets 400 and the connection is closed (as Hummingbird did); with
    /// a response already under way (a body cut short by the client or by `readJSONBody`'s 408),
    /// it is closed once that response has gone out.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endBodyStream(throwing: error)
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        if !responding {
            responding = true
            let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
            context.write(NIOAny(HTTPResponsePart.head(head)), promise: nil)
            context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil)), promise: nil)
            context.close(promise: nil)
        } else {
            closeAfterResponse = true
        }
    }

    private func endBodyStream(throwing error: any Error) {
        if case .streaming(let continuation, _) = request {
            continuation.finish(throwing: error)
            request = .draining
        }
    }

    private func dispatch(_ context: ChannelHandlerContext, _ head: HTTPRequest, body: RequestBody) {
        responding = true
        let channel = context.channel
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let request = Request(head: head, body: body)
        let responder = self.responder
        let logger = self.logger
        Task { await respondInTask(to: request, responder: responder, channel: channel, handler: handler, logger: logger) }
    }

    fileprivate static func respond(
        to request: Request, responder: RouterResponder<RouterRequestContext>, channel: any Channel,
        handler: NIOLoopBound<RequestDispatchHandler>, logger: Logger
    ) async {
        var response: Response
        do {
            response = try await responder.respond(to: request, context: RouterRequestContext(source: .init(channel: channel, logger: logger)))
        } catch {
            // RequestMiddleware renders every error; this is the net under it.
            logger.error("unhandled error", metadata: ["error": "\(type(of: error))"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        let closing = response.headers[.connection].map { says($0, "close") } ?? false
        let writer = ChannelResponseBodyWriter(channel: channel, flushesEachPart: response.body.contentLength == nil) { trailers in
            if channel.eventLoop.inEventLoop {
                handler.value.responseEnded(channel, trailers: trailers, closing: closing)
            } else {
                channel.eventLoop.execute { handler.value.responseEnded(channel, trailers: trailers, closing: closing) }
            }
        }
        channel.write(HTTPResponsePart.head(response.head), promise: nil)
        do {
            try await response.body.write(writer)
        } catch {
            // The client went away mid-body (or the body failed): nothing more can be said on
            // this connection.
            channel.close(promise: nil)
        }
    }

    /// On the loop, after the last body part: ends the response, then reads on or closes.
    private func responseEnded(_ channel: any Channel, trailers: HTTPFields?, closing: Bool) {
        responding = false
        if case .streaming(let continuation, _) = request {
            // The handler answered without reading all of the body; nobody will now.
            continuation.finish()
            request = .draining
        }
        // Decided before the end is written: writing it can deliver the next pipelined request
        // to this handler at once.
        let closes = closing || closeAfterResponse || inputClosed
        channel.writeAndFlush(HTTPResponsePart.end(trailers), promise: nil)
        if closes { channel.close(promise: nil) }
    }

    /// Whether a comma-separated header value (`Connection`) holds `token` (lowercase), in any case.
    static func says(_ value: String, _ token: String) -> Bool {
        value.lowercased().split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" } == token }
    }
}

/// Writes a response body to the client channel: a body of known length goes out with the head in
/// one flush (one `writev`), a streamed body part by part as it comes, waiting while the client's
/// socket buffer is full.
struct ChannelResponseBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    let flushesEachPart: Bool
    let end: @Sendable (HTTPFields?) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        if flushesEachPart {
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(HTTPResponsePart.body(buffer), promise: written)
            // Back-pressure, and a client that has gone shows here as a failed write.
            if !channel.isWritable || !channel.isActive { try await written.futureResult.get() }
        } else {
            channel.write(HTTPResponsePart.body(buffer), promise: nil)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        end(trailingHeaders)
    }
}

private func respondInTask(
    to request: sending Request, responder: RouterResponder<RouterRequestContext>, channel: any Channel,
    handler: NIOLoopBound<RequestDispatchHandler>, logger: Logger
) async {
    await RequestDispatchHandler.respond(to: request, responder: responder, channel: channel, handler: handler, logger: logger)
}
