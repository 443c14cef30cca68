import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import RouterCore

/// The proxy endpoints: `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and
/// Anthropic's `/v1/messages`. Parse, resolve the model, try the route's targets in order, and
/// relay the first usable answer in the client's own format.
package struct ProxyController: Sendable {
    package let runtime: RouterRuntime
    /// The whole request body must arrive this soon after the request started: the connection's
    /// idle timeout alone would let a client drip a byte just under it forever.
    package let bodyTimeout: Duration

    package init(runtime: RouterRuntime, bodyTimeout: Duration = .seconds(60)) {
        self.runtime = runtime
        self.bodyTimeout = bodyTimeout
    }

    package func register(on router: RouteTable) {
        router.post("/v1/chat/completions") { request, context in try await handleWatchingClient(.openAI(.chatCompletions), request, context) }
        router.post("/v1/completions") { request, context in try await handleWatchingClient(.openAI(.completions), request, context) }
        router.post("/v1/embeddings") { request, context in try await handleWatchingClient(.openAI(.embeddings), request, context) }
        router.post("/v1/messages") { request, context in
            do {
                return try await handleWatchingClient(.anthropicMessages, request, context)
            } catch let error as OpenAIError {
                context.trace.update { $0.status = Int(error.status.code) }
                return AnthropicErrorRendering.response(for: error)
            }
        }
        router.post("/v1/messages/count_tokens") { request, context in
            do {
                return try await countTokens(request, context)
            } catch let error as OpenAIError {
                context.trace.update { $0.status = Int(error.status.code) }
                return AnthropicErrorRendering.response(for: error)
            }
        }
    }

    /// Largest upstream non-streamed body the router will hold.
    private static let maxUpstreamBody = 64 * 1024 * 1024

    private struct AttemptFailure {
        var target: String
        var reason: String
        var kind: Kind
        var retryAfter: String?
        enum Kind { case timeout, unavailable, other }
    }

    /// `handle`, cancelled if the client hangs up before the response starts (a stream that has
    /// started notices at its next write).
    private func handleWatchingClient(_ format: ClientFormat, _ request: Request, _ context: RouterRequestContext) async throws -> Response {
        guard let connection = context.connection else { return try await handle(format, request, context) }
        return try await connection.cancellingOnHangUp {
            try await handle(format, request, context)
        }
    }

    func handle(_ format: ClientFormat, _ request: Request, _ context: RouterRequestContext) async throws -> Response {
        let snapshot = runtime.snapshot
        let configuration = snapshot.configuration
        let trace = context.trace
        let deadline = trace.start + configuration.server.requestTimeout

        // A request the event loop began (`EventLoopProxy`) was read and admitted there already.
        let carried = context.carried
        let admitted: AdmittedRequest
        if let carried {
            admitted = carried.admitted
        } else {
            let json = try await readJSONBody(request, context, limit: configuration.server.maxBody)
            admitted = try admit(
                format, json, snapshot: snapshot, requestID: context.requestID, identity: context.identity, trace: trace, logger: context.logger)
        }
        let stream = admitted.stream

        let routing = runtime.routing
        let plan = carried?.plan ?? routing.plan(route: admitted.route, targets: admitted.targets, configuration: configuration)
        var failures: [AttemptFailure] = []
        var tried = 0
        for (position, attempt) in plan.enumerated() {
            let target = attempt.target
            guard let provider = configuration.provider(named: target.providerName) else { continue }
            let credential = snapshot.credentials[provider.name]
            let sent: SentAttempt
            if position == 0, let first = carried?.firstAttempt {
                sent = first
                tried += 1
                trace.update { $0.attempts = tried }
            } else {
                if let problem = snapshot.credentialProblems[provider.name] {
                    tried += 1
                    trace.update { $0.attempts = tried }
                    failures.append(AttemptFailure(target: target.target, reason: problem, kind: .other))
                    continue
                }
                let call: UpstreamCall
                do {
                    call = try UpstreamCall.prepare(
                        format, request: admitted.json, stream: stream, provider: provider, model: target.model, credential: credential)
                } catch let error as OpenAIError {
                    // The request cannot be expressed for this provider (e.g. embeddings on anthropic).
                    if plan.count == 1 { throw error }
                    tried += 1
                    trace.update { $0.attempts = tried }
                    failures.append(AttemptFailure(target: target.target, reason: error.message, kind: .other))
                    continue
                }
                // The breaker may turn the target away since planning (a concurrent request took the
                // half-open probe); the last entry goes anyway when nothing was tried, so a request
                // never fails without a try.
                let mustSend = tried == 0 && position == plan.count - 1
                guard let ticket = routing.attemptStarted(attempt, configuration: configuration, mustSend: mustSend) else { continue }
                tried += 1
                trace.update { $0.attempts = tried }
                let start = ContinuousClock.now
                do {
                    sent = SentAttempt(call: call, ticket: ticket, start: start, outcome: .success(try await call.send(using: runtime.transport)))
                } catch {
                    sent = SentAttempt(call: call, ticket: ticket, start: start, outcome: .failure(error))
                }
            }
            let (call, ticket, attemptStart) = (sent.call, sent.ticket, sent.start)
            let response: UpstreamResponse
            switch sent.outcome {
            case .success(let answer):
                response = answer
            case .failure(let error):
                routing.attemptFinished(ticket)
                // The client went away: that says nothing about the target.
                if Task.isCancelled { throw CancellationError() }
                routing.attemptFailed(ticket, failure: error.routingFailure, message: error.message, retryAfter: nil)
                failures.append(AttemptFailure(target: target.target, reason: error.message, kind: error.kind == .timeout ? .timeout : .other))
                continue
            }
            let timeToHead = ContinuousClock.now - attemptStart
            trace.update {
                $0.provider = provider.name
                $0.upstreamModel = target.model
            }
            let headers = RoutedHeaders(provider: provider.name, model: target.model, attempts: tried)

            if (200..<300).contains(response.status) {
                routing.attemptResponded(ticket, timeToFirstByte: timeToHead)
                if stream, response.isEventStream {
                    // The stream's outcome reaches the breaker when it ends (a reset mid-stream counts).
                    return relayStream(
                        response, call: call, ticket: ticket, provider: provider.name, configuration: configuration,
                        clientWantsUsage: admitted.clientWantsUsage, deadline: deadline, context: context, headers: headers)
                }
                defer { routing.attemptFinished(ticket) }
                let answer: Response
                do {
                    answer = try await relayWhole(response, call: call, model: target.model, deadline: deadline, trace: trace, headers: headers)
                } catch let error as OpenAIError where error.status == .badGateway || error.status == .gatewayTimeout {
                    if !Task.isCancelled {
                        let failure: UpstreamFailure = error.status == .gatewayTimeout ? .timeout : .connectionClosed
                        routing.attemptFailed(ticket, failure: failure, message: error.message, retryAfter: nil)
                    }
                    throw error
                }
                routing.attemptSucceeded(ticket)
                return answer
            }
            defer { routing.attemptFinished(ticket) }

            let errorBody = (try? await withUpstreamChunks(of: response.body, deadline: deadline) { chunks in
                await Self.collect(chunks, limit: 64 * 1024)
            }) ?? ByteBuffer()
            let upstreamMessage = Self.redact(Self.errorMessage(in: errorBody), secret: credential)
            if UpstreamFailure.isRetryable(status: response.status) {
                let retryAfter = response.header("retry-after").flatMap { RetryAfter.parse($0, now: Date()) }
                routing.attemptFailed(ticket, failure: .status(response.status), message: upstreamMessage ?? "HTTP \(response.status)", retryAfter: retryAfter)
                let kind: AttemptFailure.Kind = [429, 503, 529].contains(response.status) ? .unavailable : .other
                failures.append(
                    AttemptFailure(
                        target: target.target, reason: "HTTP \(response.status)" + (upstreamMessage.map { " (\($0))" } ?? ""),
                        kind: kind, retryAfter: response.header("retry-after")
                    )
                )
                continue
            }
            // Other 4xx go back to the client as they came, in its own format, secrets scrubbed.
            // The upstream is healthy: the request was at fault.
            routing.attemptResponded(ticket, timeToFirstByte: timeToHead)
            routing.attemptSucceeded(ticket)
            trace.update { $0.errorClass = "upstream_\(response.status)" }
            let body = call.clientErrorBody(Self.redact(errorBody, secret: credential), status: response.status)
            let errorHeaders = headers.fields(contentType: "application/json", contentLength: body.readableBytes)
            return Response(status: .init(code: response.status), headers: errorHeaders, body: .init(byteBuffer: body))
        }
        var error = Self.allAttemptsFailed(failures)
        error.headers[.localRouterAttempts] = String(tried)
        throw error
    }

    /// A request read, checked and let through by the client's limits: what the attempts need.
    struct AdmittedRequest: Sendable {
        var json: RequestJSON
        var stream: Bool
        var route: RouteSettings?
        var targets: [RouteTarget]
        var clientWantsUsage: Bool
    }

    /// One attempt sent, with how it went up to the response head.
    struct SentAttempt: Sendable {
        var call: UpstreamCall
        var ticket: AttemptTicket
        var start: ContinuousClock.Instant
        var outcome: Result<UpstreamResponse, UpstreamError>
    }

    /// The model asked for, resolved to targets the key may use, and the client's limits applied
    /// (`RequestAccounting.admit`); throws the client's error otherwise. Shared by the request's
    /// task and `EventLoopProxy`.
    func admit(
        _ format: ClientFormat, _ json: RequestJSON, snapshot: RouterRuntime.Snapshot, requestID: String, identity: ClientIdentity?,
        trace: RequestTrace, logger: Logger
    ) throws -> AdmittedRequest {
        guard let model = json["model"]?.stringValue, !model.isEmpty else {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model", code: "missing_model")
        }
        let stream = format.canStream && json["stream"]?.boolValue == true
        trace.update {
            $0.model = model
            $0.stream = stream
        }

        let resolution = snapshot.catalog.resolve(model)
        guard case .targets(let route, let targets) = resolution else {
            if case .notFound(let message) = resolution { throw OpenAIError.modelNotFound(message) }
            throw OpenAIError.modelNotFound("The model '\(model)' does not exist.")
        }
        trace.update { $0.route = route?.name }
        let modelID = route?.name ?? targets.first?.target ?? model
        if let identity, !identity.allows(modelID) {
            throw OpenAIError.permissionDenied("The key '\(identity.keyName)' may not use the model '\(modelID)'.")
        }
        try runtime.accounting.admit(
            requestID: requestID, identity: identity, json: json.object, format: format, targets: targets,
            configuration: snapshot.configuration, trace: trace, logger: logger)
        return AdmittedRequest(
            json: json, stream: stream, route: route, targets: targets,
            clientWantsUsage: json["stream_options"]?["include_usage"]?.boolValue == true)
    }

    /// `POST /v1/messages/count_tokens`: passed to the first Anthropic provider the model routes
    /// to. Other providers have no such endpoint, and an estimate would be a guess.
    func countTokens(_ request: Request, _ context: RouterRequestContext) async throws -> Response {
        let snapshot = runtime.snapshot
        let configuration = snapshot.configuration
        var json = try await readJSONBody(request, context, limit: configuration.server.maxBody).object
        guard let model = json["model"]?.stringValue, !model.isEmpty else {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model", code: "missing_model")
        }
        context.trace.update { $0.model = model }
        let resolution = snapshot.catalog.resolve(model)
        guard case .targets(let route, let targets) = resolution else {
            if case .notFound(let message) = resolution { throw OpenAIError.modelNotFound(message) }
            throw OpenAIError.modelNotFound("The model '\(model)' does not exist.")
        }
        let modelID = route?.name ?? targets.first?.target ?? model
        if let identity = context.identity, !identity.allows(modelID) {
            throw OpenAIError.permissionDenied("The key '\(identity.keyName)' may not use the model '\(modelID)'.")
        }
        guard let target = targets.first(where: { configuration.provider(named: $0.providerName)?.type == .anthropic }),
            let provider = configuration.provider(named: target.providerName)
        else {
            throw OpenAIError(
                status: .notFound, message: "count_tokens is only available when '\(model)' routes to an anthropic provider.",
                type: "invalid_request_error", code: "not_found")
        }
        json["model"] = .string(target.model)
        var headers: [(name: String, value: String)] = [("content-type", "application/json"), ("anthropic-version", UpstreamCall.anthropicVersion)]
        if let credential = snapshot.credentials[provider.name] { headers.append(("x-api-key", credential)) }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
        context.trace.update {
            $0.route = route?.name
            $0.provider = provider.name
            $0.upstreamModel = target.model
            $0.attempts = 1
        }
        let response: UpstreamResponse
        do {
            response = try await runtime.transport.send(
                method: .POST, url: provider.baseURL + "/messages/count_tokens", headers: headers,
                body: ByteBuffer(bytes: json.serialized()), timeout: provider.timeout)
        } catch {
            throw OpenAIError.upstream(
                status: error.kind == .timeout ? .gatewayTimeout : .badGateway, message: "\(target.target): \(error.message)",
                code: error.kind == .timeout ? "upstream_timeout" : "upstream_error")
        }
        let body = Self.redact(try await response.collectBody(limit: 1 << 20), secret: snapshot.credentials[provider.name])
        let responseHeaders = RoutedHeaders(provider: provider.name, model: target.model, attempts: 1)
            .fields(contentType: "application/json", contentLength: body.readableBytes)
        return Response(status: .init(code: response.status), headers: responseHeaders, body: .init(byteBuffer: body))
    }

    // MARK: Relaying

    private func relayStream(
        _ response: UpstreamResponse, call: UpstreamCall, ticket: AttemptTicket, provider: String, configuration: Configuration,
        clientWantsUsage: Bool, deadline: ContinuousClock.Instant, context: RouterRequestContext, headers: RoutedHeaders
    ) -> Response {
        let trace = context.trace
        trace.update {
            $0.status = 200
            $0.completesInBody = true
        }
        let runtime = self.runtime
        let completion = RequestCompletion(context: context)
        let created = Int(Date().timeIntervalSince1970)
        let requestID = context.requestID
        let model = ticket.target.model
        let body = ResponseBody { writer in
            var clientWentAway = false
            defer {
                if !clientWentAway { Self.recordStreamOutcome(ticket, trace: trace, routing: runtime.routing) }
                runtime.routing.attemptFinished(ticket)
                completion.complete(runtime)
            }
            do {
                switch (call.clientFormat, call.upstreamFormat) {
                case (.openAI, .openAI):
                    var relay = StreamRelay(transformer: OpenAIPassthroughTransformer(clientWantsUsage: clientWantsUsage), deadline: deadline, trace: trace)
                    try await relay.relay(response.body, to: &writer)
                case (.openAI, .anthropic):
                    let transformer = AnthropicToOpenAITransformer(clientWantsUsage: clientWantsUsage, created: created, model: model)
                    var relay = StreamRelay(transformer: transformer, deadline: deadline, trace: trace)
                    try await relay.relay(response.body, to: &writer)
                case (.anthropicMessages, .anthropic):
                    var relay = StreamRelay(transformer: AnthropicPassthroughTransformer(), deadline: deadline, trace: trace)
                    try await relay.relay(response.body, to: &writer)
                case (.anthropicMessages, .openAI):
                    let transformer = OpenAIToAnthropicTransformer(model: model, messageID: "msg_" + requestID.dropFirst(4))
                    var relay = StreamRelay(transformer: transformer, deadline: deadline, trace: trace)
                    try await relay.relay(response.body, to: &writer)
                }
            } catch {
                // The client went away (a write failed): no verdict on the target.
                clientWentAway = true
                trace.update { $0.errorClass = $0.errorClass ?? "client_disconnected" }
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers.streamFields(), body: body)
    }

    /// A stream that the upstream broke or reported an error in counts against the target; one
    /// that ran into the request's own deadline says nothing about it; a clean end is a success.
    private static func recordStreamOutcome(_ ticket: AttemptTicket, trace: RequestTrace, routing: RoutingState) {
        switch trace.snapshot.errorClass {
        case nil:
            routing.attemptSucceeded(ticket)
        case "stream_timeout":
            break
        case let errorClass?:
            routing.attemptFailed(ticket, failure: .connectionClosed, message: "the stream broke after it started (\(errorClass))", retryAfter: nil)
        }
    }

    private func relayWhole(
        _ response: UpstreamResponse, call: UpstreamCall, model: String, deadline: ContinuousClock.Instant,
        trace: RequestTrace, headers: RoutedHeaders
    ) async throws -> Response {
        let collected = try await withUpstreamChunks(of: response.body, deadline: deadline) { chunks -> Result<ByteBuffer, UpstreamError> in
            var collected = ByteBuffer()
            for await chunk in chunks {
                switch chunk {
                case .data(var buffer):
                    guard collected.readableBytes + buffer.readableBytes <= Self.maxUpstreamBody else {
                        return .failure(UpstreamError(kind: .invalidResponse, message: "upstream response is larger than 64 MiB"))
                    }
                    // Most answers come in one chunk: keep it rather than copy it into a new buffer.
                    if collected.readableBytes == 0 { collected = buffer } else { collected.writeBuffer(&buffer) }
                case .end: return .success(collected)
                case .failed(let error): return .failure(error)
                }
            }
            return .success(collected)
        }
        let upstreamBody: ByteBuffer
        switch collected {
        case .failure(let error):
            throw OpenAIError.upstream(
                status: error.kind == .timeout ? .gatewayTimeout : .badGateway,
                message: "The upstream failed while sending its answer: \(error.message).",
                code: error.kind == .timeout ? "upstream_timeout" : "upstream_error"
            )
        case .success(let buffer):
            upstreamBody = buffer
        }
        let (body, contentType) = try Self.clientAnswer(upstreamBody, of: response, call: call, model: model, trace: trace)
        return Response(
            status: .ok, headers: headers.fields(contentType: contentType, contentLength: body.readableBytes), body: .init(byteBuffer: body))
    }

    /// A whole successful answer in the client's format, its usage on the trace; throws a 502 when
    /// it is not what it should be (a truncated or garbled 200).
    static func clientAnswer(
        _ upstreamBody: ByteBuffer, of response: UpstreamResponse, call: UpstreamCall, model: String, trace: RequestTrace
    ) throws -> (body: ByteBuffer, contentType: String) {
        trace.markFirstByte()
        let (body, usage) = try call.clientSuccessBody(upstreamBody, model: model)
        if let usage {
            trace.update {
                $0.inputTokens = usage.inputTokens
                $0.outputTokens = usage.outputTokens
            }
        }
        return (body, call.translates ? "application/json" : (response.header("content-type") ?? "application/json"))
    }

    /// `x-localrouter-provider`, `-model` and `-attempts` of an answer from a target, made into
    /// the response's fields in one dictionary literal: HTTPFields' `init(dictionaryLiteral:)`
    /// appends in place, where its `append` and subscript setter went through an unspecialised
    /// generic `replaceSubrange` (~1,000 instructions a field, callgrind).
    struct RoutedHeaders {
        var provider: String
        var model: String
        var attempts: Int

        private static let smallCounts = (0...9).map { String($0) }
        /// `String(attempts)` went through `description`'s generic path (~550 instructions); a
        /// request makes one to three attempts.
        private var attemptsText: String {
            attempts >= 0 && attempts < Self.smallCounts.count ? Self.smallCounts[attempts] : String(attempts)
        }

        /// With the body's length among them: `Response.init` otherwise appends Content-Length to
        /// the four fields, which regrows their array (~1,800 instructions, callgrind).
        func fields(contentType: String, contentLength: Int) -> HTTPFields {
            [
                .localRouterProvider: provider, .localRouterModel: model, .localRouterAttempts: attemptsText,
                .contentType: contentType, .contentLength: String(contentLength),
            ]
        }

        /// The head `fields` makes, as `HTTP1ResponseEncoding.writeHead` writes it for a 200, with
        /// no `HTTPFields` made (the event-loop path, `EventLoopProxy`).
        func writeOKHead(contentType: String, contentLength: Int, requestID: String, date: String, into buffer: inout ByteBuffer) {
            HTTP1ResponseEncoding.writeOKHead(
                [
                    (HTTPField.Name.localRouterProvider.rawName, provider), (HTTPField.Name.localRouterModel.rawName, model),
                    (HTTPField.Name.localRouterAttempts.rawName, attemptsText), (HTTPField.Name.contentType.rawName, contentType),
                    (HTTPField.Name.contentLength.rawName, String(contentLength)),
                ], requestID: requestID, date: date, into: &buffer)
        }

        func streamFields() -> HTTPFields {
            [
                .localRouterProvider: provider, .localRouterModel: model, .localRouterAttempts: attemptsText,
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .accelBuffering: "no",
            ]
        }
    }

    // MARK: Helpers

    /// Reads the request body (413 past `limit`, 408 when it is still arriving after
    /// `bodyTimeout`) and checks it is a JSON object (400 otherwise), built only as far as asked
    /// (`RequestJSON`).
    func readJSONBody(_ request: Request, _ context: RouterRequestContext, limit: Int) async throws -> RequestJSON {
        if let length = request.headers.firstValue(.contentLength).flatMap({ Int($0) }), length > limit {
            throw OpenAIError.bodyTooLarge(limit: limit)
        }
        let deadline = context.trace.start + bodyTimeout
        var collected: ByteBuffer?
        for try await chunk in request.body {
            guard (collected?.readableBytes ?? 0) + chunk.readableBytes <= limit else {
                // A chunked body (no Content-Length) that grows past the limit ends here.
                throw OpenAIError.bodyTooLarge(limit: limit)
            }
            if collected == nil {
                collected = chunk
            } else {
                collected!.writeImmutableBuffer(chunk)
            }
            // Checked as each part arrives: a client that stops sending altogether is the idle
            // timeout's. No more of this connection is read; the 408 still goes out.
            if ContinuousClock.now > deadline {
                context.connection?.serverClosesInput()
                context.channel.close(mode: .input, promise: nil)
                var error = OpenAIError(
                    status: .requestTimeout, message: "The request body did not arrive within \(bodyTimeout).",
                    type: "invalid_request_error", code: "request_body_timeout")
                error.headers[.connection] = "close"
                throw error
            }
        }
        let parsed: RequestJSON?
        do {
            parsed = try RequestJSON(validating: collected ?? ByteBuffer())
        } catch {
            throw OpenAIError.invalidRequest(
                "We could not parse the JSON body of your request. The body must be a JSON object (Content-Type: application/json).",
                code: "invalid_json"
            )
        }
        guard let parsed else {
            throw OpenAIError.invalidRequest("The request body must be a JSON object.", code: "invalid_json")
        }
        return parsed
    }

    private static func collect(_ chunks: UpstreamChunks, limit: Int) async -> ByteBuffer {
        var collected = ByteBuffer()
        for await chunk in chunks {
            guard case .data(var buffer) = chunk else { break }
            if collected.readableBytes < limit {
                buffer.moveWriterIndex(to: min(buffer.writerIndex, buffer.readerIndex + limit - collected.readableBytes))
                collected.writeBuffer(&buffer)
            }
        }
        return collected
    }

    /// The `message` of an OpenAI- or Anthropic-shaped error body, shortened.
    private static func errorMessage(in body: ByteBuffer) -> String? {
        guard let json = try? JSONValue.parse(body.readableBytesView) else { return nil }
        let message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue
        return message.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    private static func redact(_ text: String?, secret: String?) -> String? {
        guard let text, let secret, secret.count >= 8 else { return text }
        return text.replacingOccurrences(of: secret, with: "[redacted]")
    }

    private static func redact(_ body: ByteBuffer, secret: String?) -> ByteBuffer {
        guard let secret, secret.count >= 8 else { return body }
        let text = String(buffer: body)
        guard text.contains(secret) else { return body }
        return ByteBuffer(string: text.replacingOccurrences(of: secret, with: "[redacted]"))
    }

    private static func allAttemptsFailed(_ failures: [AttemptFailure]) -> OpenAIError {
        let summary = failures.map { "\($0.target): \($0.reason)" }.joined(separator: "; ")
        let count = failures.count
        let message =
            count == 0
            ? "No target of this model could be tried."
            : "All \(count) attempt\(count == 1 ? "" : "s") failed: \(summary)."
        var error: OpenAIError
        if !failures.isEmpty, failures.allSatisfy({ $0.kind == .timeout }) {
            error = .upstream(status: .gatewayTimeout, message: message, code: "upstream_timeout")
        } else if !failures.isEmpty, failures.allSatisfy({ $0.kind == .unavailable }) {
            error = .upstream(status: .serviceUnavailable, message: message, code: "upstream_unavailable")
            if let retryAfter = failures.compactMap(\.retryAfter).first {
                error.headers[.retryAfter] = retryAfter
            }
        } else {
            error = .upstream(status: .badGateway, message: message, code: "upstream_error")
        }
        return error
    }
}
