import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A client connection's only handler: parses its requests (`HTTP1RequestParser`), hands each
/// to the router's responder in a task of its own, writes the response straight to the channel,
/// and keeps the connection's rules (keep-alive, pipelining, idle timeout, graceful shutdown).
///
/// Hummingbird's `HTTP1Channel` runs each connection as an async loop over `NIOAsyncChannel`'s
/// inbound sequence behind four more handlers (pipelining, HTTP type conversion, connection state)
/// and writes through a `NIOAsyncWriter`; together ~25% of the daemon's CPU per proxied request,
/// and the longest code path at low load (docs/benchmarks.md). Here a request whose end arrives in
/// the same read as its head (every small JSON request) is dispatched with its body in one
/// buffer; a body still arriving when the read ends is streamed to the handler as it comes.
final class RequestDispatchHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    /// Responses leave as bytes (`HTTP1ResponseEncoding`): there is no response encoder.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum RequestState {
        /// Between requests (or the current one fully read).
        case idle
        /// Head (and perhaps some body) read, end not yet: dispatched when this read ends.
        case collecting(HTTP1RequestHead, ByteBuffer?)
        /// Dispatched before its body ended: the rest goes to the request's body stream.
        case streaming(AsyncThrowingStream<ByteBuffer, any Error>.Continuation, bytes: Int)
        /// The response ended before the request body did: the rest is read and dropped.
        case draining
    }

    /// Parts of pipelined requests held at most before the connection stops being read.
    static let maximumPipelinedParts = 64

    private let responder: RouteTable.Responder
    /// Answers the common proxied request on this loop, with no task (nil: every request takes one).
    private let loopProxy: EventLoopProxy?
    /// Its upstream call in progress, cancelled if the client hangs up.
    private var loopCall: PlainHTTPCall?
    /// The wait for the rest of a small body (`bodyWait`).
    private var bodyWaiting: Scheduled<Void>?
    private let logger: Logger
    /// Bytes of a streamed body kept for the handler at most: past `server.max_body` it answers
    /// 413 without reading further, so the rest need not be held.
    private let maxBodyBytes: @Sendable () -> Int
    private let idleTimeout: TimeAmount
    /// Cancels the request waiting on an upstream when the client hangs up.
    private let connection = ClientConnectionWatch()

    private var request = RequestState.idle
    private var responding = false
    /// The request in progress asked for `Connection: close` (or HTTP/1.0 without keep-alive),
    /// its body could not be read, or the server is shutting down.
    private var closeAfterResponse = false
    private var inputClosed = false
    /// The request in progress is a HEAD: its response goes out without the body.
    private var headOnly = false
    /// Requests a client sent before the response to its previous one: answered in order.
    private var pipelined = CircularBuffer<HTTP1Part<HTTP1RequestHead>>(initialCapacity: 1)
    private var parser = HTTP1RequestParser()
    private var readsHeld = false
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Ours, while in the pipeline: responses end from the request's task, not from an event.
    private var context: ChannelHandlerContext?

    init(
        responder: RouteTable.Responder, loopProxy: EventLoopProxy?, logger: Logger, idleTimeout: TimeAmount,
        maxBodyBytes: @escaping @Sendable () -> Int
    ) {
        self.responder = responder
        self.loopProxy = loopProxy
        self.logger = logger
        self.idleTimeout = idleTimeout
        self.maxBodyBytes = maxBodyBytes
    }

    // MARK: Reading requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parser.append(unwrapInboundIn(data))
        do {
            while let part = try parser.next() {
                lastActivity = .now()
                if !pipelined.isEmpty || (responding && isBetweenRequests) {
                    pipelined.append(part)
                } else {
                    handle(part, context: context)
                }
            }
        } catch {
            unparsable(context, error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        dispatchIfBodyStillArriving(context)
        context.fireChannelReadComplete()
    }

    private var isBetweenRequests: Bool {
        if case .idle = request { return true }
        return false
    }

    private func handle(_ part: HTTP1Part<HTTP1RequestHead>, context: ChannelHandlerContext) {
        switch (part, request) {
        case (.head(var head), _):
            closeAfterResponse = !head.keepAlive
            // HEAD is answered as GET without the body (`curl -I …/health`).
            headOnly = head.request.method == .head
            if headOnly { head.request.method = .get }
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
            bodyWaiting?.cancel()
            bodyWaiting = nil
            let body = body ?? ByteBuffer()
            if let loopProxy, !headOnly, begin(head, body: body, with: loopProxy, channel: context.channel) { return }
            dispatch(context.channel, head, body: RequestBody(buffer: body))
        case (.end, .streaming(let continuation, _)):
            continuation.finish()
            request = .idle
        case (.end, _):
            request = .idle
        }
    }

    /// A small body still arriving when a read ends is waited for this long before its request
    /// goes the task's way, streamed: most clients write a JSON body just after the head, and
    /// whole, it can be answered on the loop. Long enough for a second segment held back by
    /// Nagle's algorithm and a delayed ACK (40 ms on Linux), short beside any answer.
    static let bodyWait = TimeAmount.milliseconds(50)
    /// The largest body waited for so (a larger one streams to the handler as it comes).
    static let bodyWaitLimit = 1 << 20

    private func dispatchIfBodyStillArriving(_ context: ChannelHandlerContext) {
        guard case .collecting(let head, let body) = request, bodyWaiting == nil else { return }
        if loopProxy != nil, !headOnly, let length = head.request.headerFields.firstValue(.contentLength).flatMap({ Int($0) }),
            length <= min(Self.bodyWaitLimit, maxBodyBytes()), !head.request.headerFields.contains(.expect)
        {
            bodyWaiting = context.eventLoop.assumeIsolated().scheduleTask(in: Self.bodyWait) { [self] in
                bodyWaiting = nil
                if case .collecting(let head, let body) = request { streamBody(context, head, body) }
            }
            return
        }
        streamBody(context, head, body)
    }

    /// The body waited for did not come in time, or the client stopped sending: the request goes
    /// the task's way now, which answers it.
    private func stopWaitingForBody(_ context: ChannelHandlerContext) {
        guard let waiting = bodyWaiting, case .collecting(let head, let body) = request else { return }
        waiting.cancel()
        bodyWaiting = nil
        streamBody(context, head, body)
    }

    private func streamBody(_ context: ChannelHandlerContext, _ head: HTTP1RequestHead, _ body: ByteBuffer?) {
        // curl sends `Expect: 100-continue` before a body over 1 MB and waits a second for it.
        if body == nil, head.request.headerFields.anyValue(.expect, says: "100-continue") {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: HTTP1ResponseEncoding.continueHead)), promise: nil)
        }
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        if let body { continuation.yield(body) }
        request = .streaming(continuation, bytes: body?.readableBytes ?? 0)
        dispatch(context.channel, head, body: RequestBody(asyncSequence: stream))
    }

    /// Holds reads while too many pipelined parts wait (they are not dropped: TCP pushes back).
    func read(context: ChannelHandlerContext) {
        if pipelined.count >= Self.maximumPipelinedParts {
            readsHeld = true
        } else {
            context.read()
        }
    }

    // MARK: Responding

    /// Offers a whole request to the event-loop path; true when it took it (and will end it).
    private func begin(_ head: HTTP1RequestHead, body: ByteBuffer, with loopProxy: EventLoopProxy, channel: any Channel) -> Bool {
        responding = true
        let start = loopProxy.begin(head, body: body, channel: channel) { [self] outcome in
            loopCall = nil
            switch outcome {
            case .answered(let bytes):
                channel.write(bytes, promise: nil)
                responseEnded(channel, trailers: nil, chunked: false, closing: false)
            case .handOver(let carried):
                dispatch(channel, head, body: RequestBody(buffer: body), carried: carried)
            }
        }
        switch start {
        case .declined:
            return false
        case .begun(let call):
            if responding { loopCall = call }  // (unless it has already ended)
            return true
        }
    }

    private func dispatch(_ channel: any Channel, _ head: HTTP1RequestHead, body: RequestBody, carried: CarriedRequest? = nil) {
        responding = true
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let request = Request(head: head.request, body: body)
        let routingPath = head.routingPath
        let responder = self.responder
        let logger = self.logger
        let headOnly = self.headOnly
        let connection = self.connection
        Task {
            await respond(
                to: request, routingPath: routingPath, responder: responder, channel: channel, connection: connection, handler: handler,
                logger: logger, headOnly: headOnly, carried: carried)
        }
    }

    /// On the loop, after the last body part: ends the response, then closes or goes on with the
    /// next pipelined request.
    fileprivate func responseEnded(_ channel: any Channel, trailers: HTTPFields?, chunked: Bool, closing: Bool) {
        responding = false
        if case .streaming(let continuation, _) = request {
            // The handler answered without reading all of the body; nobody will now.
            continuation.finish()
            request = .draining
        }
        if chunked {
            channel.writeAndFlush(HTTP1ResponseEncoding.lastChunk(trailers: trailers, allocator: channel.allocator), promise: nil)
        } else {
            channel.flush()
        }
        guard !(closing || closeAfterResponse || inputClosed) else {
            channel.close(promise: nil)
            return
        }
        lastActivity = .now()
        guard let context else { return }
        if idleCheck == nil { scheduleIdleCheck(context, at: lastActivity + idleTimeout) }
        while !pipelined.isEmpty, !(responding && isBetweenRequests) {
            handle(pipelined.removeFirst(), context: context)
        }
        if pipelined.isEmpty { dispatchIfBodyStillArriving(context) }
        if readsHeld, pipelined.count < Self.maximumPipelinedParts {
            readsHeld = false
            context.read()
        }
    }

    /// A request that cannot be parsed gets 400 (431 for an oversized head) and the connection is
    /// closed, as Hummingbird did; with a response already under way (a body cut short by the
    /// client or by `readJSONBody`'s 408), it is closed once that response has gone out.
    private func unparsable(_ context: ChannelHandlerContext, _ error: HTTP1ParseFailure) {
        endBodyStream(throwing: error)
        if responding {
            closeAfterResponse = true
            pipelined.removeAll()
            return
        }
        responding = true
        request = .draining
        let answer = error == .headTooLarge ? HTTP1ResponseEncoding.headTooLarge : HTTP1ResponseEncoding.badRequest
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: answer)), promise: nil)
        context.close(promise: nil)
    }

    // MARK: Connection events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { scheduleIdleCheck(context, at: .now() + idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if idleCheck == nil { scheduleIdleCheck(context, at: .now() + idleTimeout) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        cancelIdleCheck()
        bodyWaiting?.cancel()
        bodyWaiting = nil
    }

    private func cancelIdleCheck() {
        idleCheck?.cancel()
        idleCheck = nil
    }

    /// A connection that completes no request part (head or body) for `idleTimeout` is closed:
    /// the bound on slowloris clients and forgotten keep-alive connections. A response being
    /// written (a long stream) is not idleness; its end starts the clock again.
    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleCheck = nil
            switch request {
            case .idle, .draining: if responding { return }
            case .collecting, .streaming: break
            }
            let deadline = lastActivity + idleTimeout
            if deadline <= .now() {
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context, at: deadline)
            }
        }
    }

    /// Graceful shutdown (Hummingbird's server sends this to every connection): close now if
    /// between requests, else once the response in progress has ended.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            closeAfterResponse = true
            if !responding, isBetweenRequests { context.close(promise: nil) }
            return
        }
        if case .inputClosed = event as? ChannelEvent {
            // Connections allow half-closure: a client that shuts its side is done sending.
            connection.hungUp()
            loopCall?.cancel()
            inputClosed = true
            stopWaitingForBody(context)
            endBodyStream(throwing: ChannelError.inputClosed)
            if !responding { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.hungUp()
        loopCall?.cancel()
        stopWaitingForBody(context)
        endBodyStream(throwing: ChannelError.ioOnClosedChannel)
        cancelIdleCheck()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stopWaitingForBody(context)
        endBodyStream(throwing: error)
        context.fireErrorCaught(error)
    }

    private func endBodyStream(throwing error: any Error) {
        if case .streaming(let continuation, _) = request {
            continuation.finish(throwing: error)
            request = .draining
        }
    }
}

/// The request's task: the router's answer, written to the channel. A free function: as the
/// handler's own method, called from `Task { }` there, Swift 6.3's region-based isolation checker
/// stops with "pattern that the region-based isolation checker does not understand".
private func respond(
    to request: sending Request, routingPath: String, responder: RouteTable.Responder, channel: any Channel,
    connection: ClientConnectionWatch, handler: NIOLoopBound<RequestDispatchHandler>, logger: Logger, headOnly: Bool, carried: CarriedRequest?
) async {
    var response: Response
    let source = ApplicationRequestContextSource(channel: channel, logger: logger)
    var context = carried.map { RouterRequestContext(source: source, carried: $0) } ?? RouterRequestContext(source: source)
    do {
        context.connection = connection
        context.routingPath = routingPath
        // Routed as GET; the access log still says what the client sent.
        if headOnly { context.trace.update { $0.method = "HEAD" } }
        response = try await responder.respond(to: request, context: context)
    } catch {
        // RequestMiddleware renders every error; this is the net under it.
        logger.error("unhandled error", metadata: ["error": "\(type(of: error))"])
        response = Response(status: .internalServerError)
    }
    let closing = response.headers.anyValue(.connection, says: "close")
    var head = channel.allocator.buffer(capacity: 0)
    let chunked = HTTP1ResponseEncoding.writeHead(
        response.head, requestID: context.requestID, date: HTTPDate.now(), headOnly: headOnly, into: &head)
    let writer = ChannelResponseBodyWriter(channel: channel, flushesEachPart: response.body.contentLength == nil, chunked: chunked) { trailers in
        if channel.eventLoop.inEventLoop {
            handler.value.responseEnded(channel, trailers: trailers, chunked: chunked, closing: closing)
        } else {
            channel.eventLoop.execute { handler.value.responseEnded(channel, trailers: trailers, chunked: chunked, closing: closing) }
        }
    }
    channel.write(head, promise: nil)
    do {
        if headOnly {
            try await writer.finish(nil)
        } else {
            try await response.body.write(writer)
        }
    } catch {
        // The client went away mid-body (or the body failed): nothing more can be said on
        // this connection.
        channel.close(promise: nil)
    }
}

/// Writes a response body to the client channel: a body of known length goes out with the head in
/// one flush (one `writev`), a streamed body part by part as it comes, waiting while the client's
/// socket buffer is full.
struct ChannelResponseBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    let flushesEachPart: Bool
    /// Each part goes as a chunk (`transfer-encoding: chunked`), else as it is.
    let chunked: Bool
    let end: @Sendable (HTTPFields?) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        let bytes = chunked ? HTTP1ResponseEncoding.chunk(buffer, allocator: channel.allocator) : buffer
        if flushesEachPart {
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(bytes, promise: written)
            // Back-pressure, and a client that has gone shows here as a failed write.
            if !channel.isWritable || !channel.isActive { try await written.futureResult.get() }
        } else {
            channel.write(bytes, promise: nil)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        end(trailingHeaders)
    }
}
