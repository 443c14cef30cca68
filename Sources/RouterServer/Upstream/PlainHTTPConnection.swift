import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to an upstream, one request at a time. Everything here runs
/// on the connection's event loop. The request goes out in one flush (head and body in one
/// `writev`); a response read whole in one go completes the request's promise with its body, else
/// the head does and the body streams through a back-pressured async sequence; once the response
/// has ended the connection goes back to its pool, or is closed when the upstream asked for that.
final class PlainHTTPConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    /// Requests leave as bytes (`encode`): there is no request encoder.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    typealias BodySequence = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand
    >

    private enum State {
        /// In the pool, or not yet given a request.
        case idle
        case waitingForHead(PlainHTTPExchange, receivedBytes: Bool)
        /// The head arrived in the read under way: if the end comes in it too (a small JSON
        /// answer), the response is handed over whole, with no body sequence at all.
        case headReceived(PlainHTTPExchange, status: Int, headers: [(name: String, value: String)], keepAlive: Bool, body: [ByteBuffer])
        case streamingBody(BodySequence.Source, keepAlive: Bool)
        case closed
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// Tells the consumer's signals about an earlier response on this connection from the current one's.
    private var generation = 0
    /// The consumer wants more body; when it does not, reads wait (back-pressure on the upstream).
    private var wantsBody = true
    private var readHeldBack = false
    /// A 1xx head was delivered; its `.end` is not the response's.
    private var skippingInformational = false
    /// The request's overall deadline for the body, once the reader has armed it.
    private var bodyTimer: Scheduled<Void>?
    /// Set by the pool: the response ended and the connection can serve another request.
    var onReusable: ((PlainHTTPConnection) -> Void)?
    /// Set by the pool: the connection closed (while idle or not).
    var onClosed: ((PlainHTTPConnection) -> Void)?
    /// Whether it served a request before: a failure before any response byte is then most likely
    /// the upstream closing an idle connection as we picked it, and is retried on a fresh one.
    private(set) var hasServedRequest = false

    /// Responses are parsed here (`HTTP1Parser`), told of each request's method (a HEAD's
    /// response has no body).
    private var parser = HTTP1ResponseParser()

    init() {}

    var channel: Channel? { context?.channel }
    var isUsable: Bool {
        if case .idle = state, let channel = context?.channel { return channel.isActive }
        return false
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Sends `exchange`'s request; the connection must be idle.
    func start(_ exchange: PlainHTTPExchange) {
        guard let context, case .idle = state, context.channel.isActive else {
            exchange.fail(.stale)
            return
        }
        generation &+= 1
        state = .waitingForHead(exchange, receivedBytes: false)
        exchange.attach(self)
        let request = exchange.request
        parser.reader.answersHead = request.method == .HEAD
        context.writeAndFlush(wrapOutboundOut(Self.encode(request, allocator: context.channel.allocator)), promise: nil)
    }

    /// The request as HTTP/1.1 bytes, head and body in one buffer (one write). `Host` and
    /// `Content-Length` are the router's own; a `Transfer-Encoding` or `Content-Length` among
    /// `headers` is dropped, as NIO's request encoder dropped a `Transfer-Encoding` beside a
    /// length. Names and values were checked in `PlainHTTPClient.send`.
    static func encode(_ request: PlainHTTPRequest, allocator: ByteBufferAllocator) -> ByteBuffer {
        func isFraming(_ name: String) -> Bool {
            // By length first: most names are none of the three.
            switch name.utf8.count {
            case 4: equalsIgnoringASCIICase(name.utf8, "host")
            case 14: equalsIgnoringASCIICase(name.utf8, "content-length")
            case 17: equalsIgnoringASCIICase(name.utf8, "transfer-encoding")
            default: false
            }
        }
        let length: String? =
            if let body = request.body { String(body.readableBytes) } else if request.method == .POST || request.method == .PUT { "0" } else { nil }
        let method = request.method.rawValue
        var size = method.utf8.count + 1 + request.url.target.utf8.count + 11 + 6 + request.url.hostHeader.utf8.count + 2 + 2
        for (name, value) in request.headers where !isFraming(name) { size += name.utf8.count + 2 + value.utf8.count + 2 }
        if let length { size += 16 + length.utf8.count + 2 }
        var buffer = allocator.buffer(capacity: size + (request.body?.readableBytes ?? 0))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { output in
            var writer = HTTP1ByteWriter(output: output)
            writer.append(method)
            writer.append(" ")
            writer.append(request.url.target)
            writer.append(" HTTP/1.1\r\nhost: ")
            writer.append(request.url.hostHeader)
            writer.append("\r\n")
            for (name, value) in request.headers where !isFraming(name) {
                writer.append(name)
                writer.append(": ")
                writer.append(value)
                writer.append("\r\n")
            }
            if let length {
                writer.append("content-length: ")
                writer.append(length)
                writer.append("\r\n")
            }
            writer.append("\r\n")
            return writer.offset
        }
        if let body = request.body { buffer.writeImmutableBuffer(body) }
        return buffer
    }

    /// The request gave up (timeout, cancellation) before the head arrived: the connection is in an
    /// unknown state, so it is closed.
    func abandon() {
        switch state {
        case .waitingForHead, .headReceived: break
        case .idle, .streamingBody, .closed: return
        }
        state = .closed
        context?.close(promise: nil)
    }

    func close() {
        context?.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parser.append(unwrapInboundIn(data))
        do {
            while let part = try parser.next() {
                handle(part, context: context)
                if case .closed = state { return }
            }
        } catch {
            fail(UpstreamError(kind: .invalidResponse, message: "invalid HTTP response from upstream"))
            context.close(promise: nil)
        }
    }

    private func handle(_ part: HTTP1Part<HTTP1ResponseHead>, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            guard case .waitingForHead(let exchange, _) = state else {
                return unexpected(context, "a response nobody asked for")
            }
            let status = head.status
            if status < 200 && status != 101 {
                skippingInformational = true
                state = .waitingForHead(exchange, receivedBytes: true)
                return
            }
            hasServedRequest = true
            state = .headReceived(exchange, status: status, headers: head.headers, keepAlive: head.keepAlive, body: [])
        case .body(let buffer):
            if case .headReceived(let exchange, let status, let headers, let keepAlive, var body) = state {
                state = .closed  // so `body` is uniquely referenced while it grows
                body.append(buffer)
                state = .headReceived(exchange, status: status, headers: headers, keepAlive: keepAlive, body: body)
                return
            }
            guard case .streamingBody(let source, _) = state else {
                if skippingInformational { return }
                return unexpected(context, "a body without a head")
            }
            switch source.yield(buffer) {
            case .produceMore: wantsBody = true
            case .stopProducing: wantsBody = false
            case .dropped:
                // The consumer is gone mid-body: the rest of this response is of no use.
                state = .closed
                context.close(promise: nil)
            }
        case .end:
            if skippingInformational {
                skippingInformational = false
                return
            }
            let keepAlive: Bool
            switch state {
            case .headReceived(let exchange, let status, let headers, let alive, let body):
                keepAlive = alive
                exchange.succeed(UpstreamResponse(status: status, headers: headers, body: .buffers(body)))
            case .streamingBody(let source, let alive):
                keepAlive = alive
                source.finish()
                bodyTimer?.cancel()
                bodyTimer = nil
            default:
                return unexpected(context, "an end without a head")
            }
            if keepAlive {
                state = .idle
                wantsBody = true
                onReusable?(self)
                if readHeldBack {
                    readHeldBack = false
                    context.read()
                }
            } else {
                state = .closed
                context.close(promise: nil)
            }
        }
    }

    /// The read is over and the response has not ended in it: from here its body streams.
    func channelReadComplete(context: ChannelHandlerContext) {
        if case .headReceived(let exchange, let status, let headers, let keepAlive, let body) = state {
            wantsBody = true
            let sequence = BodySequence.makeSequence(
                elementType: ByteBuffer.self,
                failureType: (any Error).self,
                backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8),
                finishOnDeinit: false,
                delegate: BodyDemand(connection: NIOLoopBound(self, eventLoop: context.eventLoop), generation: generation)
            )
            state = .streamingBody(sequence.source, keepAlive: keepAlive)
            if !body.isEmpty, case .stopProducing = sequence.source.yield(contentsOf: body) { wantsBody = false }
            let deadline = BodyDeadline(connection: NIOLoopBound(self, eventLoop: context.eventLoop), generation: generation)
            exchange.succeed(UpstreamResponse(status: status, headers: headers, body: .plainHTTP(sequence.sequence, deadline: deadline)))
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(UpstreamError(kind: .connectionClosed, message: "connection closed by upstream"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body that runs until the connection closes has ended now; anything else was cut short.
        if case .end? = try? parser.finish() { handle(.end, context: context) }
        fail(UpstreamError(kind: .connectionClosed, message: "connection closed by upstream"))
        state = .closed
        onClosed?(self)
        context.fireChannelInactive()
    }

    private func fail(_ failure: UpstreamError) {
        switch state {
        case .waitingForHead(let exchange, let receivedBytes):
            state = .closed
            // Nothing came back on a connection that had served before: the upstream closed it
            // idle, the request was not processed, and a fresh connection may try again.
            exchange.fail(!receivedBytes && hasServedRequest && failure.kind == .connectionClosed ? .stale : .upstream(failure))
        case .headReceived(let exchange, _, _, _, _):
            state = .closed
            exchange.fail(.upstream(failure))
        case .streamingBody(let source, _):
            state = .closed
            source.finish(failure)
        case .idle, .closed:
            state = .closed
        }
        bodyTimer?.cancel()
        bodyTimer = nil
    }

    private func unexpected(_ context: ChannelHandlerContext, _ what: String) {
        fail(UpstreamError(kind: .invalidResponse, message: "upstream sent \(what)"))
        context.close(promise: nil)
    }

    // MARK: Back-pressure

    func read(context: ChannelHandlerContext) {
        if case .streamingBody = state, !wantsBody {
            readHeldBack = true
            return
        }
        context.read()
    }

    fileprivate func consumerWantsMore(generation: Int) {
        guard generation == self.generation, case .streamingBody = state else { return }
        wantsBody = true
        if readHeldBack, let context {
            readHeldBack = false
            context.read()
        }
    }

    fileprivate func consumerStopped(generation: Int) {
        // Only a consumer that leaves before the end matters: the connection cannot be reused.
        guard generation == self.generation, case .streamingBody(let source, _) = state else { return }
        source.finish()
        state = .closed
        context?.close(promise: nil)
    }

    fileprivate func armBodyDeadline(_ deadline: NIODeadline, generation: Int) {
        guard generation == self.generation, case .streamingBody = state, let context else { return }
        bodyTimer?.cancel()
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        bodyTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            guard generation == this.value.generation, case .streamingBody = this.value.state else { return }
            this.value.bodyTimer = nil
            this.value.fail(UpstreamError(kind: .timeout, message: "request_timeout reached"))
            this.value.close()
        }
    }

    /// The request's deadline for one response's body: a timer on the connection's loop that ends
    /// the body with a timeout error and closes the connection, so the reader needs no timer task.
    struct BodyDeadline: Sendable {
        let connection: NIOLoopBound<PlainHTTPConnection>
        let generation: Int

        func arm(at deadline: ContinuousClock.Instant) {
            let at = NIODeadline.now() + (deadline - ContinuousClock.now).timeAmount
            let (connection, generation) = (self.connection, self.generation)
            if connection.eventLoop.inEventLoop {
                connection.value.armBodyDeadline(at, generation: generation)
            } else {
                connection.eventLoop.execute { connection.value.armBodyDeadline(at, generation: generation) }
            }
        }
    }

    /// Relays the body consumer's demand to the connection, on its event loop.
    struct BodyDemand: NIOAsyncSequenceProducerDelegate {
        let connection: NIOLoopBound<PlainHTTPConnection>
        let generation: Int

        func produceMore() {
            let (connection, generation) = (self.connection, self.generation)
            if connection.eventLoop.inEventLoop {
                connection.value.consumerWantsMore(generation: generation)
            } else {
                connection.eventLoop.execute { connection.value.consumerWantsMore(generation: generation) }
            }
        }

        func didTerminate() {
            let (connection, generation) = (self.connection, self.generation)
            connection.eventLoop.execute { connection.value.consumerStopped(generation: generation) }
        }
    }
}
