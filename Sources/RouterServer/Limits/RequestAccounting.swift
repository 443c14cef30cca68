import Foundation
import HTTPTypes
import Logging
import RouterCore
import Synchronization

/// Where a request's limits and metrics meet the request pipeline, in four calls:
/// `requestStarted` (RequestMiddleware), `admit` (ProxyController, before dispatch),
/// `responseHeaders` (RequestMiddleware, on the way out) and `requestFinished`
/// (RequestCompletion, once the response — stream included — is done).
package final class RequestAccounting: Sendable {
    package let limits: LimitsEnforcer
    package let metrics: RouterMetrics
    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant

    private struct State {
        /// Admitted requests not finished yet, by request id.
        var open: [String: LimitAdmission] = [:]
        var lastSweep: ContinuousClock.Instant?
        /// Targets already warned about for having no price.
        var unpricedWarned: Set<String> = []
        /// Built once per distinct `pricing:` and provider set, not per request.
        var priceTable: PriceTable?
    }

    /// How long past `request_timeout` an unfinished admission is kept before its reservation is
    /// freed: a response whose body never ran (client gone before the first write) never finishes.
    private static let abandonedGrace: Duration = .seconds(60)

    package init(
        limits: LimitsEnforcer = LimitsEnforcer(), metrics: RouterMetrics = RouterMetrics(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.limits = limits
        self.metrics = metrics
        self.now = now
    }

    /// A `/v1/` request arrived.
    package func requestStarted() {
        metrics.requestStarted()
    }

    /// Applies the client's rate limits and budget before anything is sent upstream.
    /// Throws 429 `rate_limit_exceeded` or `insufficient_quota` with `Retry-After` and `x-ratelimit-*`.
    /// `json` (the request, built) is asked for only when a limit applies.
    package func admit(
        requestID: String, identity: ClientIdentity?, json: @autoclosure () -> JSONValue, format: ClientFormat, targets: [RouteTarget],
        configuration: Configuration, trace: RequestTrace, logger: Logger
    ) throws {
        let keyLimits = KeyLimits(identity: identity, defaults: configuration.limits)
        guard keyLimits.apply else { return }
        let producesOutput = format != .openAI(.embeddings)
        let estimate = TokenEstimate(json: json(), producesOutput: producesOutput)
        let worstCase = keyLimits.budget == nil ? 0 : worstCaseCost(estimate, targets: targets, configuration: configuration, logger: logger)
        sweepAbandoned(timeout: configuration.server.requestTimeout)
        switch limits.admit(keyLimits, estimate: estimate, worstCaseCost: worstCase) {
        case .success(let admission):
            state.withLock { $0.open[requestID] = admission }
        case .failure(let rejection):
            metrics.rateLimited(keyName: keyLimits.keyName, limit: rejection.limit)
            if rejection.limit == .budget { trace.update { $0.errorClass = "budget_exhausted" } }
            throw Self.error(for: rejection)
        }
    }

    /// `x-ratelimit-*` for a response of a rate-limited key (empty otherwise).
    package func responseHeaders(requestID: String) -> [(name: String, value: String)] {
        state.withLock { $0.open[requestID]?.headerFields } ?? []
    }

    /// The request is over: fills `cost_usd` when nothing else did, settles its limits with the
    /// real usage and cost, and records its metrics.
    /// Returns the trace's fields as settled (with `cost_usd` filled in), for the access log.
    @discardableResult
    package func requestFinished(requestID: String, trace: RequestTrace, latency: Duration, snapshot: RouterRuntime.Snapshot) -> RequestTrace.Fields {
        var fields = trace.snapshot
        let hasUsage = fields.inputTokens != nil || fields.outputTokens != nil
        if fields.costUSD == nil, hasUsage, let provider = fields.provider, let model = fields.upstreamModel {
            let table = priceTable(for: snapshot.configuration)
            if let price = table.price(provider: provider, model: model) {
                let cost = table.cost(price: price, inputTokens: fields.inputTokens ?? 0, outputTokens: fields.outputTokens ?? 0)
                fields.costUSD = cost
                trace.update { if $0.costUSD == nil { $0.costUSD = cost } }
            }
        }
        if let admission = state.withLock({ $0.open.removeValue(forKey: requestID) }) {
            let dispatched = fields.provider != nil && fields.status < 400
            let actualTokens: Int? =
                hasUsage ? (fields.inputTokens ?? 0) + (fields.outputTokens ?? 0) : (dispatched ? nil : 0)
            // No usage from an answered request (a stream cut short): charge the worst case.
            let cost = fields.costUSD ?? (dispatched && !hasUsage ? admission.reservation?.amount ?? 0 : 0)
            limits.settle(admission, actualTokens: actualTokens, cost: cost)
        }
        metrics.requestFinished(
            RouterMetrics.FinishedSample(
                labels: Self.labels(fields, catalog: snapshot.catalog, configuration: snapshot.configuration),
                status: fields.status, errorClass: fields.errorClass, inputTokens: fields.inputTokens,
                outputTokens: fields.outputTokens, costUSD: fields.costUSD, latency: latency, timeToFirstByte: fields.ttfb))
        return fields
    }

    /// Writes pending ledger lines (graceful shutdown).
    package func close() {
        limits.close()
    }

    // MARK: Helpers

    /// The most this request can cost on any of its targets: prompt estimate plus the allowed
    /// output at the dearest target's price. Unknown prices count as 0, with a warning once.
    private func worstCaseCost(_ estimate: TokenEstimate, targets: [RouteTarget], configuration: Configuration, logger: Logger) -> Double {
        let table = priceTable(for: configuration)
        var worst = 0.0
        for target in targets {
            guard let price = table.price(provider: target.providerName, model: target.model) else {
                let first = state.withLock { $0.unpricedWarned.insert(target.target).inserted }
                if first {
                    logger.warning(
                        "no price known for \(target.target): budgets reserve nothing for it and count it as free; add it under pricing:")
                }
                continue
            }
            worst = max(worst, table.cost(price: price, inputTokens: estimate.promptTokens, outputTokens: estimate.budgetOutputTokens))
        }
        return worst
    }

    private func priceTable(for configuration: Configuration) -> PriceTable {
        state.withLock { state in
            if let cached = state.priceTable, cached.matches(configuration) { return cached }
            let table = PriceTable(configuration: configuration)
            state.priceTable = table
            return table
        }
    }

    private func sweepAbandoned(timeout: Duration) {
        let now = self.now()
        let abandoned = state.withLock { state -> [LimitAdmission] in
            if let last = state.lastSweep, now - last < .seconds(30) { return [] }
            state.lastSweep = now
            let stale = state.open.filter { now - $0.value.admittedAt > timeout + Self.abandonedGrace }
            for id in stale.keys { state.open[id] = nil }
            return Array(stale.values)
        }
        for admission in abandoned { limits.release(admission) }
    }

    static func error(for rejection: LimitRejection) -> OpenAIError {
        var error: OpenAIError
        switch rejection.limit {
        case .budget:
            error = OpenAIError(status: .tooManyRequests, message: rejection.message, type: "insufficient_quota", code: "insufficient_quota")
        case .requests, .tokens:
            error = OpenAIError(status: .tooManyRequests, message: rejection.message, type: rejection.limit.rawValue, code: "rate_limit_exceeded")
        }
        for field in rejection.headerFields {
            if let name = HTTPField.Name(field.name) { error.headers[name] = field.value }
        }
        return error
    }

    /// Bounded labels: names from the config and the catalog; a model nobody configured is "unknown".
    static func labels(_ fields: RequestTrace.Fields, catalog: ModelCatalog, configuration: Configuration) -> RouterMetrics.RequestLabels {
        let key = fields.keyName ?? KeyLimits.anonymousName
        let route = fields.route.flatMap { configuration.route(named: $0) == nil ? nil : $0 } ?? ""
        var model = "unknown"
        if let provider = fields.provider, let upstreamModel = fields.upstreamModel {
            if catalog.models(of: provider)?.contains(upstreamModel) == true
                || configuration.routes.contains(where: { $0.targets.contains { $0.target == "\(provider)/\(upstreamModel)" } })
            {
                model = upstreamModel
            }
        } else if let requested = fields.model, catalog.lists(requested) {
            model = requested
        }
        let provider = fields.provider.flatMap { configuration.hasProvider(named: $0) ? $0 : nil } ?? ""
        return RouterMetrics.RequestLabels(key: key, route: route, provider: provider, model: model)
    }
}
