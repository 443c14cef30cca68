import NIOCore
import NIOHTTP1
import NIOPosix
import RouterCore

/// The router's own HTTP/1.1 client for `http://` upstreams (Ollama, llama.cpp, vLLM, LM Studio,
/// any OpenAI-compatible server on this machine or the LAN), where the router's own cost per
/// request is what a user feels. AsyncHTTPClient cost ~100 µs of CPU per proxied request here
/// (its pool's locks and state machines, a per-request cancellation actor, head and body in two
/// `write`s); this client keeps a pool of keep-alive connections *per event loop*, runs the whole
/// exchange on the loop the calling task is already on, and sends a request in one `writev`.
/// https upstreams stay with AsyncHTTPClient (TLS, HTTP/2), where the network dwarfs that cost.
package final class PlainHTTPClient: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let pools: [ObjectIdentifier: LoopPool]
    private let idleTimeout: TimeAmount

    /// `idleTimeout` stays below the 5 s keep-alive most servers use, so a connection is rarely
    /// reused just as the upstream closes it.
    package init(group: MultiThreadedEventLoopGroup = .singleton, idleTimeout: TimeAmount = .seconds(4)) {
        self.group = group
        self.idleTimeout = idleTimeout
        var pools: [ObjectIdentifier: LoopPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = LoopPool(eventLoop: loop, idleTimeout: idleTimeout)
        }
        self.pools = pools
    }

    /// Sends the request and returns at the response head; the body then streams. `timeout`
    /// bounds connecting plus waiting for the head.
    package func send(
        method: HTTPMethod, url: PlainHTTPURL, headers: [(name: String, value: String)], body: ByteBuffer?, timeout: TimeAmount
    ) async throws(UpstreamError) -> UpstreamResponse {
        if let problem = Self.headerProblem(headers) { throw problem }
        let request = PlainHTTPRequest(method: method, url: url, headers: headers, body: body)
        // The calling task runs on one of the group's loops (main.swift makes NIO the executor):
        // staying on it avoids a thread hop each way.
        let loop = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { pools[ObjectIdentifier($0)] != nil ? $0 : nil } ?? group.next()
        let pool = pools[ObjectIdentifier(loop)]!
        let box = NIOLoopBoundBox.makeEmptyBox(valueType: PlainHTTPCall.self, eventLoop: loop)
        do {
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (waiter: UnsafeContinuation<UpstreamResponse, any Error>) in
                    let start = { @Sendable in
                        let call = PlainHTTPCall(request, pool: pool, timeout: timeout) { waiter.resume(with: $0) }
                        box.value = call
                        call.start()
                    }
                    if loop.inEventLoop { start() } else { loop.execute(start) }
                }
            } onCancel: {
                loop.execute { box.value?.cancel() }
            }
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamTransport.classify(error)
        }
    }

    /// Whether `start` can send `headers` from `loop`: the loop is one of the group's, and HTTP
    /// allows the headers.
    func canStart(headers: [(name: String, value: String)], on loop: any EventLoop) -> Bool {
        pools[ObjectIdentifier(loop)] != nil && Self.headerProblem(headers) == nil
    }

    /// The same exchange for a caller already on `loop` that wants no task (`EventLoopProxy`), once
    /// `canStart` said yes: `completion` runs on the loop.
    func start(
        _ request: PlainHTTPRequest, on loop: any EventLoop, timeout: TimeAmount,
        completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void
    ) -> PlainHTTPCall {
        let call = PlainHTTPCall(request, pool: pools[ObjectIdentifier(loop)]!, timeout: timeout, completion: completion)
        call.start()
        return call
    }

    /// Checked once per request, instead of by NIO's validator on every write (whose error reads
    /// like a broken response and would count against a healthy upstream): a line break in a header
    /// from the config or a secret must never split the request.
    private static func headerProblem(_ headers: [(name: String, value: String)]) -> UpstreamError? {
        guard let bad = headers.first(where: { !HTTPHeaderSyntax.isValidName($0.name) || !HTTPHeaderSyntax.isValidValue($0.value) }) else { return nil }
        return UpstreamError(kind: .configuration, message: "the request header '\(Self.printable(bad.name))' has characters HTTP does not allow")
    }

    private static func printable(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }.prefix(64))
    }

    package func shutdown() async {
        for pool in pools.values {
            try? await pool.eventLoop.submit { pool.closeAll() }.get()
        }
    }
}

/// One request on one event loop, from sending it to its response head: a pooled connection that
/// turns out stale (closed by the upstream as it was picked, before any response byte) is given up
/// for one fresh connection, once. Confined to its loop.
final class PlainHTTPCall {
    private let request: PlainHTTPRequest
    private let pool: LoopPool
    private let timeout: TimeAmount
    private var completion: ((Result<UpstreamResponse, UpstreamError>) -> Void)?
    private var exchange: PlainHTTPExchange?

    init(_ request: PlainHTTPRequest, pool: LoopPool, timeout: TimeAmount, completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void) {
        self.request = request
        self.pool = pool
        self.timeout = timeout
        self.completion = completion
    }

    func start() {
        send(reusing: true)
    }

    /// The caller went away: the exchange under way fails, and says so to the completion.
    func cancel() {
        exchange?.cancel()
    }

    private func send(reusing: Bool) {
        let exchange = PlainHTTPExchange(request: request, on: pool.eventLoop, timeout: timeout) { [self] result in
            switch result {
            case .success(let response): finish(.success(response))
            case .failure(.stale) where reusing: send(reusing: false)
            case .failure(.stale): finish(.failure(UpstreamError(kind: .connectionClosed, message: "connection closed by upstream")))
            case .failure(.upstream(let error)): finish(.failure(error))
            }
        }
        self.exchange = exchange
        pool.execute(exchange, reuse: reusing)
    }

    private func finish(_ result: Result<UpstreamResponse, UpstreamError>) {
        exchange = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}

/// One event loop's idle connections by upstream, and the connecting of new ones. Confined to its
/// loop: every method runs there (hence the unchecked Sendable), which is what makes it lock-free.
final class LoopPool: @unchecked Sendable {
    private struct Key: Hashable {
        var host: String
        var port: Int
    }

    private struct Idle {
        var connection: PlainHTTPConnection
        var since: NIODeadline
    }

    let eventLoop: EventLoop
    private let idleTimeout: TimeAmount
    private var idle: [Key: [Idle]] = [:]
    private var sweep: RepeatedTask?

    init(eventLoop: EventLoop, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.idleTimeout = idleTimeout
    }

    func execute(_ exchange: PlainHTTPExchange, reuse: Bool) {
        eventLoop.assertInEventLoop()
        let key = Key(host: exchange.request.url.host, port: exchange.request.url.port)
        if reuse {
            while let candidate = idle[key]?.popLast() {
                if candidate.connection.isUsable {
                    candidate.connection.start(exchange)
                    return
                }
                candidate.connection.close()
            }
        }
        connect(key, for: exchange)
    }

    private func connect(_ key: Key, for exchange: PlainHTTPExchange) {
        let loop = eventLoop
        let connection = PlainHTTPConnection()
        connection.onReusable = { [self] connection in release(connection, key: key) }
        connection.onClosed = { [self] connection in forget(connection, key: key) }
        let handler = NIOLoopBound(connection, eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                do {
                    // One handler: requests go out as bytes (`PlainHTTPConnection.encode`; header
                    // validation happens once per request in `send`) and responses are parsed
                    // there, without NIO's codecs (~8,000 and ~10,000 instructions a request).
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connected: EventLoopFuture<Channel>
        if let address = try? SocketAddress(ipAddress: key.host, port: key.port) {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: key.host, port: key.port)
        }
        let pending = NIOLoopBound(exchange, eventLoop: loop)
        connected.whenComplete { result in
            let exchange = pending.value
            switch result {
            case .success(let channel):
                if exchange.isSettled {
                    channel.close(promise: nil)  // timed out or cancelled while connecting
                } else {
                    handler.value.start(exchange)
                }
            case .failure(let error):
                exchange.fail(.upstream(UpstreamTransport.classify(error)))
            }
        }
    }

    private func release(_ connection: PlainHTTPConnection, key: Key) {
        idle[key, default: []].append(Idle(connection: connection, since: .now()))
        if sweep == nil {
            sweep = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in closeExpired() }
        }
    }

    private func forget(_ connection: PlainHTTPConnection, key: Key) {
        idle[key]?.removeAll { $0.connection === connection }
        if idle[key]?.isEmpty == true { idle[key] = nil }
    }

    private func closeExpired() {
        let oldest = NIODeadline.now() - idleTimeout
        for (key, connections) in idle {
            let (expired, kept) = (connections.filter { $0.since < oldest }, connections.filter { $0.since >= oldest })
            idle[key] = kept.isEmpty ? nil : kept
            for entry in expired { entry.connection.close() }
        }
        if idle.isEmpty {
            sweep?.cancel()
            sweep = nil
        }
    }

    func closeAll() {
        eventLoop.assertInEventLoop()
        let all = idle.values.joined().map(\.connection)
        idle = [:]
        sweep?.cancel()
        sweep = nil
        for connection in all { connection.close() }
    }
}
