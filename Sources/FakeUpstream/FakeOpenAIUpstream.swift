import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RouterCore
import ServiceLifecycle
import Synchronization

/// A fake OpenAI-compatible upstream for tests, benchmarks and the end-to-end checks: on 127.0.0.1:0 speaking Chat Completions' wire format
/// (non-streamed JSON and SSE chunks as in OpenAI's API reference). The requested model picks
/// the behaviour:
/// - `gpt-test`: a normal answer ("Hello there"), streamed when asked.
/// - `slow-stream`: three content events 300 ms apart.
/// - `split-stream`: events cut across writes, with `: PROCESSING` comment lines.
/// - `reset-stream`: two events, then the connection is dropped.
/// - `fail-500`, `fail-429`, `fail-400`: that status with an OpenAI error body.
/// - `hang`: never answers.
///
/// Per instance, `forceStatus(_:for:)` makes one model answer an error status until cleared, and
/// `forceModelListingStatus(_:)` does the same for `GET /v1/models` (what health checks call).
package final class FakeOpenAIUpstream: Sendable {
    package struct Received: Sendable {
        package var path: String
        package var headers: HTTPFields
        package var body: JSONValue?
        /// The body's bytes as they came (chat completions only).
        package var rawBody: String?
    }

    private let received = Mutex<[Received]>([])
    private let recordRequests: Bool
    private let forcedStatuses = Mutex<[String: Int]>([:])
    private let listings = Mutex<[Received]>([])
    private let forcedListingStatus = Mutex<Int?>(nil)

    /// `recordRequests: false` for benchmarks, where keeping every request would grow memory.
    package init(recordRequests: Bool = true) {
        self.recordRequests = recordRequests
    }

    package var requests: [Received] { received.withLock { $0 } }

    /// How many chat completions asked for `model`.
    package func requestCount(model: String) -> Int {
        received.withLock { $0.count { $0.path == "/v1/chat/completions" && $0.body?["model"]?.stringValue == model } }
    }

    /// `GET /v1/models` requests received (kept apart from `requests`).
    package var modelListings: [Received] { listings.withLock { $0 } }

    /// From now on chat completions for `model` answer `status` with an OpenAI error body (a
    /// server error, or a 429 with `Retry-After: 7`); nil restores the model's usual behaviour.
    package func forceStatus(_ status: Int?, for model: String) {
        forcedStatuses.withLock { $0[model] = status }
    }

    /// From now on `GET /v1/models` answers `status`, with a message that echoes the credential it
    /// received; nil restores the listing.
    package func forceModelListingStatus(_ status: Int?) {
        forcedListingStatus.withLock { $0 = status }
    }

    static let modelsBody: JSONValue = [
        "object": "list",
        "data": [
            ["id": "gpt-test", "object": "model", "created": 0, "owned_by": "fake"],
            ["id": "slow-stream", "object": "model", "created": 0, "owned_by": "fake"],
        ],
    ]

    package func makeApplication(port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/v1/models") { request, _ in
            if self.recordRequests { self.listings.withLock { $0.append(Received(path: "/v1/models", headers: request.headers, body: nil)) } }
            if let status = self.forcedListingStatus.withLock({ $0 }) {
                // Echoes the credential it got, as careless upstreams do, so tests can prove the router redacts it.
                let credential = request.headers[.authorization] ?? request.headers[HTTPField.Name("x-api-key")!] ?? "none"
                return Self.error(status: .init(code: status), type: "server_error", message: "Listing failed for \(credential)")
            }
            return Self.json(Self.modelsBody)
        }
        router.post("/v1/embeddings") { request, _ in
            let body = try await JSONValue.parse(request.body.collect(upTo: 1 << 20).readableBytesView)
            if self.recordRequests { self.received.withLock { $0.append(Received(path: "/v1/embeddings", headers: request.headers, body: body)) } }
            return Self.json([
                "object": "list", "model": body["model"] ?? nil,
                "data": [["object": "embedding", "index": 0, "embedding": [0.1, 0.2]]],
                "usage": ["prompt_tokens": 3, "total_tokens": 3],
            ])
        }
        router.post("/v1/chat/completions") { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let body = try JSONValue.parse(bytes.readableBytesView)
            if self.recordRequests {
                self.received.withLock {
                    $0.append(Received(path: "/v1/chat/completions", headers: request.headers, body: body, rawBody: String(buffer: bytes)))
                }
            }
            if let model = body["model"]?.stringValue, let status = self.forcedStatuses.withLock({ $0[model] }) {
                return Self.error(
                    status: .init(code: status), type: status == 429 ? "rate_limit_exceeded" : "server_error",
                    message: "Forced failure", retryAfter: status == 429 ? "7" : nil)
            }
            return try await Self.answer(body)
        }
        var logger = Logger(label: "fake-upstream")
        logger.logLevel = .critical
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress!.port!) },
            logger: logger
        )
    }

    static func answer(_ body: JSONValue) async throws -> Response {
        let model = body["model"]?.stringValue ?? ""
        let stream = body["stream"]?.boolValue == true
        let includeUsage = body["stream_options"]?["include_usage"]?.boolValue == true
        switch model {
        case "fail-500": return error(status: .internalServerError, type: "server_error", message: "The server had an error")
        case "fail-429": return error(status: .tooManyRequests, type: "rate_limit_exceeded", message: "Rate limit reached", retryAfter: "7")
        case "fail-400": return error(status: .badRequest, type: "invalid_request_error", message: "Invalid 'messages': empty array")
        case "hang":
            try await Task.sleep(for: .seconds(3600))
            return error(status: .internalServerError, type: "server_error", message: "unreachable")
        default: break
        }
        if !stream {
            return json([
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": .string(model),
                "choices": [["index": 0, "message": ["role": "assistant", "content": "Hello there"], "logprobs": nil, "finish_reason": "stop"]],
                "usage": ["prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11],
            ])
        }
        func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> String {
            var value: JSONValue = [
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
                "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]],
            ]
            if includeUsage { value["usage"] = JSONValue.null }
            return "data: " + String(decoding: value.serialized(), as: UTF8.self) + "\n\n"
        }
        let usage: String = {
            let value: JSONValue = [
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
                "choices": [], "usage": ["prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12],
            ]
            return "data: " + String(decoding: value.serialized(), as: UTF8.self) + "\n\n"
        }()
        let events = [
            chunk(["role": "assistant", "content": ""]), chunk(["content": "Hello"]), chunk(["content": " there"]),
            chunk(["content": "!"]), chunk([:], finish: "stop"),
        ] + (includeUsage ? [usage] : []) + ["data: [DONE]\n\n"]

        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                switch model {
                case "slow-stream":
                    for (index, event) in events.enumerated() {
                        try await writer.write(ByteBuffer(string: event))
                        if (1...3).contains(index) { try await Task.sleep(for: .milliseconds(300)) }
                    }
                case "split-stream":
                    let text = ": PROCESSING\n\n" + events.joined()
                    var rest = Substring(text)
                    while !rest.isEmpty {
                        // Odd-sized writes cut events (and even UTF-8 sequences) at arbitrary places.
                        let piece = rest.utf8.prefix(37)
                        try await writer.write(ByteBuffer(bytes: Array(piece)))
                        rest = Substring(rest.utf8.dropFirst(piece.count))
                        try await Task.sleep(for: .milliseconds(2))
                    }
                case "reset-stream":
                    try await writer.write(ByteBuffer(string: events[0] + events[1]))
                    try await Task.sleep(for: .milliseconds(50))
                    throw CancellationError()  // Hummingbird drops the connection mid-body.
                default:
                    for event in events { try await writer.write(ByteBuffer(string: event)) }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Keys in order, as a real server's are fixed: with a dictionary's per-process order a
    /// chat completion's `usage` came first in some runs and last in others (OpenAI sends it
    /// last, and the router reads it from the end), and the benchmark moved with it.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.serialized(sortingKeys: true))))
    }

    static func error(status: HTTPResponse.Status, type: String, message: String, retryAfter: String? = nil) -> Response {
        var response = json(["error": ["message": .string(message), "type": .string(type), "param": nil, "code": nil]], status: status)
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }
}
