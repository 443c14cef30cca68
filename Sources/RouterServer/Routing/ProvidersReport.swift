import Foundation
import RouterCore

/// The body of `GET /health/providers` (and the `providers` of `GET /status`): each provider's
/// type, health-check result and credential state, and each of its targets' circuit and stats.
/// Built from copies; nothing in it is a secret (base URLs lose any user-info and query).
package enum ProvidersReport {
    package static func json(snapshot: RouterRuntime.Snapshot, routing: RoutingState, now: Date = Date()) -> JSONValue {
        let configuration = snapshot.configuration
        let targets = routing.targetReports(configuration: configuration)
        let providers: [JSONValue] = configuration.providers.map { provider in
            let check = routing.lastHealthCheck(provider: provider.name)
            let health: String = check.map { $0.isHealthy ? "healthy" : "unhealthy" } ?? "unknown"
            return [
                "name": .string(provider.name),
                "type": .string(provider.type.rawValue),
                "base_url": .string(displayURL(provider.baseURL)),
                "health": .string(health),
                "last_check": check.map { .string(timestamp($0.checkedAt)) } ?? .null,
                "last_check_latency_ms": check?.latency.map { .double(milliseconds($0)) } ?? .null,
                "last_error": check?.error.map(JSONValue.string) ?? .null,
                "note": check?.note.map(JSONValue.string) ?? .null,
                "credential": snapshot.credentialProblems[provider.name].map(JSONValue.string) ?? "ok",
                "models": snapshot.catalog.models(of: provider.name).map { .array($0.map(JSONValue.string)) } ?? .null,
                "targets": .array((targets[provider.name] ?? []).map { target($0, now: now) }),
            ]
        }
        return ["providers": .array(providers)]
    }

    private static func target(_ report: TargetReport, now: Date) -> JSONValue {
        let stats = report.stats
        return [
            "target": .string(report.target),
            "circuit": .string(report.circuit.rawValue),
            "consecutive_failures": .integer(Int64(report.consecutiveFailures)),
            "reopens_in_ms": report.reopensIn.map { .double(milliseconds($0)) } ?? .null,
            "latency_ewma_ms": stats.latencyEWMA.map { .double(milliseconds($0)) } ?? .null,
            "in_flight": .integer(Int64(stats.inFlight)),
            "requests": .integer(Int64(stats.totalRequests)),
            "failures": .integer(Int64(stats.failures)),
            "last_error": stats.lastError.map(JSONValue.string) ?? .null,
            "last_error_at": report.lastErrorAge.map { .string(timestamp(now.addingTimeInterval(-($0 / .seconds(1))))) } ?? .null,
            "retry_after_ms": report.backingOffFor.map { .double(milliseconds($0)) } ?? .null,
        ]
    }

    /// Milliseconds with one decimal.
    static func milliseconds(_ duration: Duration) -> Double {
        ((duration / .milliseconds(1)) * 10).rounded() / 10
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The base URL without user-info or query, where a careless config might carry a key.
    static func displayURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparseable URL)" }
        if components.user != nil || components.password != nil {
            components.user = nil
            components.password = nil
        }
        components.query = nil
        components.fragment = nil
        return components.string ?? "(unparseable URL)"
    }
}
