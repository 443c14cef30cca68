import AsyncHTTPClient
import RouterCore
import NIOCore

/// An upstream's answer as the proxy sees it, whether it came over HTTP or from the
/// in-process mock: status, headers, and a body read chunk by chunk as it arrives.
package struct UpstreamResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: UpstreamBody

    package init(status: Int, headers: [(name: String, value: String)], body: UpstreamBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }

    package var isEventStream: Bool {
        header("content-type")?.lowercased().hasPrefix("text/event-stream") ?? false
    }

    /// Reads the whole body, up to `limit` bytes.
    package func collectBody(limit: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                throw UpstreamError(kind: .invalidResponse, message: "upstream response is larger than \(limit) bytes")
            }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}

/// The body of an `UpstreamResponse`: AsyncHTTPClient's streamed body or buffers made in process.
package struct UpstreamBody: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer

    private enum Backing: Sendable {
        case http(HTTPClientResponse.Body)
        case plainHTTP(PlainHTTPConnection.BodySequence, PlainHTTPConnection.BodyDeadline)
        case stream(AsyncStream<ByteBuffer>)
        case buffers([ByteBuffer])
    }

    private let backing: Backing

    package static func http(_ body: HTTPClientResponse.Body) -> UpstreamBody { UpstreamBody(backing: .http(body)) }
    static func plainHTTP(_ body: PlainHTTPConnection.BodySequence, deadline: PlainHTTPConnection.BodyDeadline) -> UpstreamBody {
        UpstreamBody(backing: .plainHTTP(body, deadline))
    }

    /// Makes the body end with a timeout error at `deadline` by itself, if it can (our own
    /// client's bodies can: the connection keeps the timer; a body already in memory has nothing
    /// left to wait for); false when the reader must.
    func enforce(deadline: ContinuousClock.Instant) -> Bool {
        switch backing {
        case .plainHTTP(_, let bodyDeadline):
            bodyDeadline.arm(at: deadline)
            return true
        case .buffers:
            return true
        case .http, .stream:
            return false
        }
    }
    package static func stream(_ stream: AsyncStream<ByteBuffer>) -> UpstreamBody { UpstreamBody(backing: .stream(stream)) }
    /// The whole body, when it is in memory already (a plain-HTTP answer read in one go).
    var bufferedParts: [ByteBuffer]? {
        if case .buffers(let buffers) = backing { return buffers }
        return nil
    }

    package static func buffers(_ buffers: [ByteBuffer]) -> UpstreamBody { UpstreamBody(backing: .buffers(buffers)) }

    package struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate enum State {
            case http(HTTPClientResponse.Body.AsyncIterator)
            case plainHTTP(PlainHTTPConnection.BodySequence.AsyncIterator)
            case stream(AsyncStream<ByteBuffer>.AsyncIterator)
            case buffers(IndexingIterator<[ByteBuffer]>)
        }

        fileprivate var state: State

        package mutating func next() async throws -> ByteBuffer? {
            switch state {
            case .http(var iterator):
                let value = try await iterator.next()
                state = .http(iterator)
                return value
            case .plainHTTP(let iterator):
                // A reference type: no need to store it back.
                return try await iterator.next()
            case .stream(var iterator):
                let value = await iterator.next()
                state = .stream(iterator)
                return value
            case .buffers(var iterator):
                let value = iterator.next()
                state = .buffers(iterator)
                return value
            }
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        switch backing {
        case .http(let body): AsyncIterator(state: .http(body.makeAsyncIterator()))
        case .plainHTTP(let body, _): AsyncIterator(state: .plainHTTP(body.makeAsyncIterator()))
        case .stream(let stream): AsyncIterator(state: .stream(stream.makeAsyncIterator()))
        case .buffers(let buffers): AsyncIterator(state: .buffers(buffers.makeIterator()))
        }
    }
}

/// Why an attempt at an upstream failed before it produced a usable response.
package struct UpstreamError: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        case connect = "connect_error"
        case timeout
        case connectionClosed = "connection_closed"
        case invalidResponse = "invalid_response"
        case configuration = "configuration_error"
    }

    package var kind: Kind
    /// Safe to show: never contains a secret or a request body.
    package var message: String

    package init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

extension UpstreamError {
    /// The same failure as the routing state machines classify it.
    package var routingFailure: UpstreamFailure {
        switch kind {
        case .timeout: .timeout
        case .connectionClosed: .connectionClosed
        case .connect, .invalidResponse, .configuration: .connect
        }
    }
}
