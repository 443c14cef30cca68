import Foundation
import NIOCore
import RouterCore
import Synchronization

/// The most common proxied request, answered on its connection's event loop with no task and no
/// Hummingbird request or response: an OpenAI-format request (`/v1/chat/completions`,
/// `/v1/completions`, `/v1/embeddings`) that is not streamed, read whole in one go, from a key
/// already verified (or with no key ring), with no limits on it, whose first target is an
/// OpenAI-compatible `http://` upstream that answers 2xx in one read.
///
/// The task, its ~90 async frames, and the framework's request, response and middleware types were
/// a third of a proxied request's instructions (docs/benchmarks.md, "Performance pass 9").
/// Everything else takes the usual way, and a request begun here that does not end in that answer
/// (a failure, an error status, a body still arriving, a hang-up, a target the planner skipped) is
/// handed to the request's task as it stands (`CarriedRequest`): the task goes on from that
/// attempt's outcome, with the same trace, request id and admission, so nothing is sent or
/// counted twice. The checks and the accounting are the controller's own (`ProxyController.admit`,
/// `clientAnswer`, `RequestCompletion`), not copies.
package struct EventLoopProxy: Sendable {
    let runtime: RouterRuntime
    let controller: ProxyController
    /// Requests answered here (tests check the path is taken).
    let answered: Counter

    package final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        package init() {}
        func add() { value.add(1, ordering: .relaxed) }
        package var count: Int { value.load(ordering: .relaxed) }
    }

    /// How a request begun here ended.
    enum Outcome {
        /// The response's bytes, head and body, to write.
        case answered(ByteBuffer)
        /// For the request's task to go on with.
        case handOver(CarriedRequest)
    }

    enum Start {
        /// Not the common case: nothing was done, the request goes the usual way.
        case declined
        /// Begun: `finish` will run (perhaps already has), once. The upstream call under way, if
        /// any, is to be cancelled should the client hang up.
        case begun(PlainHTTPCall?)
    }

    /// Begins `head` with its whole `body` when it is the common case. `finish` runs on
    /// `channel`'s loop.
    func begin(_ head: HTTP1RequestHead, body: ByteBuffer, channel: any Channel, finish: @escaping (Outcome) -> Void) -> Start {
        guard head.request.method == .post, let format = Self.format(of: head.routingPath) else { return .declined }
        let snapshot = runtime.snapshot
        let configuration = snapshot.configuration
        guard body.readableBytes <= configuration.server.maxBody, let caller = knownCaller(head, channel: channel) else { return .declined }
        let identity = caller.identity
        // Limits add their own response headers and may refuse: left to the task.
        guard !KeyLimits(identity: identity, defaults: configuration.limits).apply else { return .declined }
        // A request the controller would refuse is left to it: it says why, in its own words.
        let trace = RequestTrace()
        let requestID = RequestIdentifier.next()
        guard let json = try? RequestJSON(validating: body),
            let admitted = try? controller.admit(
                format, json, snapshot: snapshot, requestID: requestID, identity: identity, trace: trace, logger: runtime.logger),
            !admitted.stream
        else { return .declined }

        // From here the request is the loop's: it ends in `finish`.
        trace.update {
            $0.method = "POST"
            $0.path = head.routingPath
            $0.keyName = identity?.keyName
        }
        runtime.accounting.requestStarted()
        if let name = identity?.keyName { runtime.keyRing?.noteUsed(name) }
        let routing = runtime.routing
        let plan = routing.plan(route: admitted.route, targets: admitted.targets, configuration: configuration)
        let carried = CarriedRequest(requestID: requestID, trace: trace, identity: identity, admitted: admitted, plan: plan)
        let loop = channel.eventLoop
        // Only a request sent as the client wrote it to a plain-HTTP upstream: one the task would
        // build or translate (the mock, Anthropic) is prepared there, once.
        guard let attempt = plan.first, let provider = configuration.provider(named: attempt.target.providerName),
            provider.type != .mock, provider.type != .anthropic, provider.baseURL.hasPrefix("http://"),
            snapshot.credentialProblems[provider.name] == nil,
            let call = try? UpstreamCall.prepare(
                format, request: json, stream: false, provider: provider, model: attempt.target.model,
                credential: snapshot.credentials[provider.name]),
            let plain = call.plainRequest(using: runtime.transport, on: loop),
            let ticket = routing.attemptStarted(attempt, configuration: configuration, mustSend: plan.count == 1)
        else {
            finish(.handOver(carried))
            return .begun(nil)
        }
        trace.update { $0.attempts = 1 }
        let start = ContinuousClock.now
        let sent = runtime.transport.start(plain.request, timeout: plain.timeout, on: loop) { outcome in
            if case .success(let response) = outcome, (200..<300).contains(response.status),
                let answer = answer(response, call: call, ticket: ticket, attemptStart: start, carried: carried, channel: channel)
            {
                finish(.answered(answer))
                return
            }
            let sent = ProxyController.SentAttempt(call: call, ticket: ticket, start: start, outcome: outcome)
            finish(
                .handOver(
                    CarriedRequest(
                        requestID: requestID, trace: trace, identity: identity, admitted: admitted, plan: plan, firstAttempt: sent)))
        }
        return .begun(sent)
    }

    /// A 2xx answer read whole, relayed as the controller's `relayWhole` would; nil when it must go
    /// the task's way (a body still arriving, or one the client cannot be given: a 502 there).
    private func answer(
        _ response: UpstreamResponse, call: UpstreamCall, ticket: AttemptTicket, attemptStart: ContinuousClock.Instant,
        carried: CarriedRequest, channel: any Channel
    ) -> ByteBuffer? {
        guard let parts = response.body.bufferedParts else { return nil }
        var upstreamBody = parts.first ?? ByteBuffer()
        for var part in parts.dropFirst() { upstreamBody.writeBuffer(&part) }
        let trace = carried.trace
        let model = ticket.target.model
        guard let (body, contentType) = try? ProxyController.clientAnswer(upstreamBody, of: response, call: call, model: model, trace: trace) else {
            return nil
        }
        let routing = runtime.routing
        routing.attemptResponded(ticket, timeToFirstByte: ContinuousClock.now - attemptStart)
        routing.attemptSucceeded(ticket)
        routing.attemptFinished(ticket)
        trace.update {
            $0.provider = ticket.target.providerName
            $0.upstreamModel = model
            $0.status = 200
        }
        let headers = ProxyController.RoutedHeaders(provider: ticket.target.providerName, model: model, attempts: 1)
        var bytes = channel.allocator.buffer(capacity: 256 + body.readableBytes)
        headers.writeOKHead(contentType: contentType, contentLength: body.readableBytes, requestID: carried.requestID, date: HTTPDate.now(), into: &bytes)
        bytes.writeImmutableBuffer(body)
        RequestCompletion(trace: trace, requestID: carried.requestID).complete(runtime)
        answered.add()
        return bytes
    }

    private enum Caller {
        /// No key is asked for here (no key ring: a harness of the proxy alone; or a path the
        /// policy leaves open).
        case anyone
        case key(ClientIdentity)

        var identity: ClientIdentity? {
            if case .key(let identity) = self { return identity }
            return nil
        }
    }

    /// Who is asking, when no bcrypt is needed to know it; nil when the request must go through
    /// `AuthMiddleware` (a missing, malformed, unknown or not yet verified key: it answers those).
    private func knownCaller(_ head: HTTP1RequestHead, channel: any Channel) -> Caller? {
        guard let keyRing = runtime.keyRing,
            AuthPolicy.requiresKey(path: head.routingPath, clientIsLoopback: AuthPolicy.isLoopback(channel.remoteAddress))
        else { return .anyone }
        guard let presented = AuthMiddleware.presentedKey(in: head.request.headerFields),
            let record = keyRing.verifier.verifiedRecord(presented)
        else { return nil }
        return .key(ClientIdentity(record: record))
    }

    private static func format(of path: String) -> ClientFormat? {
        switch path {
        case "/v1/chat/completions": .openAI(.chatCompletions)
        case "/v1/completions": .openAI(.completions)
        case "/v1/embeddings": .openAI(.embeddings)
        default: nil
        }
    }
}

/// A request the event loop began and hands to the request's task (`EventLoopProxy`): read,
/// admitted and planned, perhaps with its first attempt's outcome. A reference: it passes through
/// the handler, the task and the request's context, and as a value it was copied whole each time.
final class CarriedRequest: Sendable {
    let requestID: String
    let trace: RequestTrace
    let identity: ClientIdentity?
    let admitted: ProxyController.AdmittedRequest
    let plan: [PlannedAttempt]
    let firstAttempt: ProxyController.SentAttempt?

    init(
        requestID: String, trace: RequestTrace, identity: ClientIdentity?, admitted: ProxyController.AdmittedRequest, plan: [PlannedAttempt],
        firstAttempt: ProxyController.SentAttempt? = nil
    ) {
        self.requestID = requestID
        self.trace = trace
        self.identity = identity
        self.admitted = admitted
        self.plan = plan
        self.firstAttempt = firstAttempt
    }
}
