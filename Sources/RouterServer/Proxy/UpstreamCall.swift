import Foundation
import NIOCore
import NIOHTTP1
import RouterCore

/// One attempt's request to one provider, in that provider's wire format, and the conversions
/// of its answer back into the client's format. Pure apart from `send`.
package struct UpstreamCall: Sendable {
    package let clientFormat: ClientFormat
    package let upstreamFormat: WireFormat
    private let destination: Destination

    private enum Destination: Sendable {
        case http(url: String, headers: [(name: String, value: String)], body: ByteBuffer, timeout: Duration)
        case mock(Endpoint, JSONValue, model: String)
    }

    /// The answer's body changes format on the way back.
    package var translates: Bool {
        switch (clientFormat, upstreamFormat) {
        case (.openAI, .openAI), (.anthropicMessages, .anthropic): false
        default: true
        }
    }

    package static let anthropicVersion = "2023-06-01"

    /// Builds the upstream request; throws an `OpenAIError` when this provider cannot serve it.
    /// When the request goes on in its own format and only its model changes (a body whose
    /// `model` came once), the client's bytes are sent with just that value replaced and the
    /// request is never built into a tree: re-serialising the parsed request was ~3% of a
    /// proxied request's instructions, and the upstream sees the request as the client wrote it.
    package static func prepare(
        _ clientFormat: ClientFormat, request: RequestJSON, stream: Bool, provider: ProviderSettings, model: String, credential: String?
    ) throws -> UpstreamCall {
        let upstreamFormat: WireFormat = provider.type == .anthropic ? .anthropic : .openAI
        // The client's own bytes, only the model replaced, where nothing else about the request
        // changes on its way (a stream to an OpenAI-style upstream gains `stream_options`).
        let keepsClientBytes =
            switch (clientFormat, upstreamFormat) {
            case (.openAI, .openAI): provider.type != .mock && !stream
            case (.anthropicMessages, .anthropic): true
            default: false
            }
        let clientBytes = keepsClientBytes ? request.replacingModel(with: model) : nil
        // Built only when the request is not sent as it came (unused otherwise).
        var json = JSONValue.null
        if clientBytes == nil {
            json = request.object
            json["model"] = .string(model)
        }

        // The request in the upstream's format, and which OpenAI endpoint it goes to.
        let endpoint: Endpoint
        switch (clientFormat, upstreamFormat) {
        case (.openAI(let requested), .openAI):
            endpoint = requested
            if stream {
                // Usage is captured for the log even when the client did not ask for it.
                var options = json["stream_options"]?.objectValue ?? [:]
                options["include_usage"] = true
                json["stream_options"] = .object(options)
            }
        case (.openAI(let requested), .anthropic):
            guard requested == .chatCompletions else {
                throw OpenAIError.invalidRequest(
                    "Provider '\(provider.name)' (anthropic) does not offer \(requested.rawValue); use a model of another provider.",
                    code: "unsupported_endpoint")
            }
            endpoint = .chatCompletions
            json = try translating { () throws(AnthropicError) in try AnthropicRequestTranslator.messagesRequest(fromChat: json, upstreamModel: model) }
        case (.anthropicMessages, .anthropic):
            endpoint = .chatCompletions
        case (.anthropicMessages, .openAI):
            endpoint = .chatCompletions
            json = try translating { () throws(AnthropicError) in try AnthropicInboundTranslator.chatRequest(fromMessages: json, upstreamModel: model) }
        }

        if provider.type == .mock {
            return UpstreamCall(clientFormat: clientFormat, upstreamFormat: .openAI, destination: .mock(endpoint, json, model: model))
        }
        let body = clientBytes ?? ByteBuffer(bytes: json.serialized())
        switch upstreamFormat {
        case .openAI:
            return UpstreamCall(
                clientFormat: clientFormat, upstreamFormat: .openAI,
                destination: .http(
                    url: OpenAICompatibleProvider.url(provider, endpoint),
                    headers: OpenAICompatibleProvider.headers(provider, credential: credential, stream: stream),
                    body: body, timeout: provider.timeout)
            )
        case .anthropic:
            return UpstreamCall(
                clientFormat: clientFormat, upstreamFormat: .anthropic,
                destination: .http(
                    url: provider.baseURL + "/messages", headers: anthropicHeaders(provider, credential: credential, stream: stream), body: body,
                    timeout: provider.timeout)
            )
        }
    }

    private static func anthropicHeaders(_ provider: ProviderSettings, credential: String?, stream: Bool) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("content-type", "application/json"),
            ("accept", stream ? "text/event-stream" : "application/json"),
            ("anthropic-version", anthropicVersion),
        ]
        if let credential, !credential.isEmpty { headers.append(("x-api-key", credential)) }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        return headers
    }

    /// The request and its head timeout, when it goes over plain `http://` and can be sent from
    /// `loop` with no task (`EventLoopProxy`); nil for the mock, https, or a header HTTP does not allow.
    func plainRequest(using transport: UpstreamTransport, on loop: any EventLoop) -> (request: PlainHTTPRequest, timeout: Duration)? {
        guard case .http(let url, let headers, let body, let timeout) = destination,
            let request = transport.plainPOST(url: url, headers: headers, body: body, on: loop)
        else { return nil }
        return (request, timeout)
    }

    package func send(using transport: UpstreamTransport) async throws(UpstreamError) -> UpstreamResponse {
        switch destination {
        case .mock(let endpoint, let json, let model):
            return MockProvider.respond(to: endpoint, request: json, model: model)
        case .http(let url, let headers, let body, let timeout):
            return try await transport.send(method: .POST, url: url, headers: headers, body: body, timeout: timeout)
        }
    }

    /// A successful non-streamed answer in the client's format, with its token usage.
    package func clientSuccessBody(_ body: ByteBuffer, model: String) throws -> (ByteBuffer, TokenUsage?) {
        switch (clientFormat, upstreamFormat) {
        case (.openAI, .openAI):
            // Relayed as it came, but only if it is JSON: a truncated or garbled 200 becomes a 502
            // (which also counts against the target) instead of a success the client cannot parse.
            // Checked, not parsed: building the value was ~4% of the CPU of a proxied request.
            guard (try? JSONParser.validate(body.readableBytesView)) != nil else { throw Self.invalidUpstreamJSON }
            return (body, UsageScanner.scan(body.readableBytesView))
        case (.anthropicMessages, .anthropic):
            let usage = AnthropicUsage(anthropicUsage: try parseUpstream(body)["usage"])
            return (body, TokenUsage(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens))
        case (.openAI, .anthropic):
            let json = try parseUpstream(body)
            let translated = AnthropicResponseTranslator.chatCompletion(fromMessagesResponse: json, created: Int(Date().timeIntervalSince1970))
            let usage = AnthropicUsage(anthropicUsage: json["usage"])
            return (ByteBuffer(bytes: translated.serialized()), TokenUsage(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens))
        case (.anthropicMessages, .openAI):
            let json = try parseUpstream(body)
            let translated = AnthropicInboundTranslator.messagesResponse(fromChatCompletion: json, model: model)
            let usage = UsageScanner.scan(body.readableBytesView)
            return (ByteBuffer(bytes: translated.serialized()), usage)
        }
    }

    /// An upstream 4xx error body, in the client's format.
    package func clientErrorBody(_ body: ByteBuffer, status: Int) -> ByteBuffer {
        guard translates else { return body }
        let json = try? JSONValue.parse(body.readableBytesView)
        switch clientFormat {
        case .openAI:
            return ByteBuffer(bytes: AnthropicError(anthropicBody: json, status: status).openAIBody.serialized())
        case .anthropicMessages:
            return ByteBuffer(bytes: AnthropicError(openAIBody: json, status: status).anthropicBody.serialized())
        }
    }

    private func parseUpstream(_ body: ByteBuffer) throws -> JSONValue {
        guard let json = try? JSONValue.parse(body.readableBytesView) else { throw Self.invalidUpstreamJSON }
        return json
    }

    private static let invalidUpstreamJSON = OpenAIError.upstream(
        status: .badGateway, message: "The upstream answered with invalid JSON.", code: "upstream_invalid_response")

    private static func translating(_ body: () throws(AnthropicError) -> JSONValue) throws(OpenAIError) -> JSONValue {
        do {
            return try body()
        } catch {
            throw OpenAIError.invalidRequest(error.message, param: error.param, code: "unsupported_content")
        }
    }
}
