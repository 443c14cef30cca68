import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The one place that talks HTTP to providers: `http://` upstreams through our own
/// `PlainHTTPClient` (the fast path, for servers on this machine or the LAN), everything else
/// through a shared AsyncHTTPClient tuned for a proxy (see STACK-NOTES: its defaults cap a host
/// at 8 connections and retry refused connects for seconds).
package final class UpstreamTransport: Sendable {
    private let client: HTTPClient
    private let plainClient: PlainHTTPClient
    /// URL -> its parse (nil: not plain `http://`): a daemon sends to a handful of URLs over and
    /// over, and parsing one cost ~2,900 instructions a request. Emptied past 256 URLs.
    private let parsedURLs = Mutex<[String: PlainHTTPURL?]>([:])

    package init() {
        var configuration = HTTPClient.Configuration()
        // Below the 5 s keep-alive most servers use, so we rarely reuse a connection the upstream is closing.
        configuration.connectionPool = .init(idleTimeout: .seconds(4), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
        // A refused connection must fail at once so the next target is tried without delay.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.plainClient = PlainHTTPClient()
    }

    private func plainURL(_ url: String) -> PlainHTTPURL? {
        if let known = parsedURLs.withLock({ $0[url] }) { return known }
        let parsed = PlainHTTPURL(url)
        parsedURLs.withLock { cache in
            if cache.count >= 256 { cache.removeAll(keepingCapacity: true) }
            cache[url] = parsed
        }
        return parsed
    }

    /// Sends a request and returns once the response head arrives (the body then streams).
    /// `timeout` bounds connect plus time to the response head.
    package func send(
        method: HTTPMethod,
        url: String,
        headers: [(name: String, value: String)],
        body: ByteBuffer?,
        timeout: Duration
    ) async throws(UpstreamError) -> UpstreamResponse {
        let amount = timeout.timeAmount
        if let plain = plainURL(url) {
            return try await plainClient.send(method: method, url: plain, headers: headers, body: body, timeout: amount)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        do {
            return try await execute(request, timeout: amount)
        } catch let error as HTTPClientError where error == .remoteConnectionClosed {
            // A pooled connection the upstream closed as we picked it: nothing was processed, so one
            // immediate retry on a fresh connection is safe even for a POST.
            do {
                return try await execute(request, timeout: amount)
            } catch {
                throw Self.classify(error)
            }
        } catch {
            throw Self.classify(error)
        }
    }

    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> UpstreamResponse {
        let response = try await client.execute(request, timeout: timeout)
        return UpstreamResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: .http(response.body)
        )
    }

    /// The request a POST is over plain `http://`, when it can be sent from `loop` with no task
    /// (`EventLoopProxy`); nil otherwise (https, a header HTTP does not allow): `send` is the way.
    func plainPOST(url: String, headers: [(name: String, value: String)], body: ByteBuffer, on loop: any EventLoop) -> PlainHTTPRequest? {
        guard let plain = plainURL(url), plainClient.canStart(headers: headers, on: loop) else { return nil }
        return PlainHTTPRequest(method: .POST, url: plain, headers: headers, body: body)
    }

    /// Sends what `plainPOST` made, from `loop`: the head or the failure reaches `completion` there.
    func start(
        _ request: PlainHTTPRequest, timeout: Duration, on loop: any EventLoop,
        completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void
    ) -> PlainHTTPCall {
        plainClient.start(request, on: loop, timeout: timeout.timeAmount, completion: completion)
    }

    /// Must run before the transport is released (AsyncHTTPClient traps otherwise).
    package func shutdown() async {
        // `.get()`: the plain `await client.shutdown()` resolves to the EventLoopFuture overload.
        try? await client.shutdown().get()
        await plainClient.shutdown()
    }

    static func classify(_ error: any Error) -> UpstreamError {
        if let error = error as? UpstreamError { return error }
        if let error = error as? HTTPClientError {
            if [.connectTimeout, .deadlineExceeded, .readTimeout].contains(error) {
                return UpstreamError(kind: .timeout, message: "timed out")
            }
            if error == .remoteConnectionClosed || error == .cancelled {
                return UpstreamError(kind: .connectionClosed, message: "connection closed by upstream")
            }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) || error.shortDescription.contains("scheme") {
                return UpstreamError(kind: .configuration, message: "invalid upstream URL (\(error.shortDescription))")
            }
            return UpstreamError(kind: .invalidResponse, message: error.shortDescription)
        }
        if error is CancellationError {
            return UpstreamError(kind: .timeout, message: "cancelled")
        }
        if let error = error as? IOError {
            return UpstreamError(kind: .connect, message: "connection failed (\(Self.errnoName(error.errnoCode)))")
        }
        if error is NIOConnectionError || error is ChannelError {
            return UpstreamError(kind: .connect, message: "connection failed")
        }
        let text = String(describing: error)
        if text.contains("refused") || text.contains("ECONNREFUSED") {
            return UpstreamError(kind: .connect, message: "connection refused")
        }
        return UpstreamError(kind: .connect, message: "connection failed")
    }

    private static func errnoName(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case ETIMEDOUT: "timed out"
        case EHOSTUNREACH: "host unreachable"
        case ENETUNREACH: "network unreachable"
        default: "errno \(code)"
        }
    }
}
