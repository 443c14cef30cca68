import Foundation
import RouterCore

/// `GET /metrics`: the request counters and histograms, plus gauges read at scrape time
/// (circuit states, budgets, start time).
package enum MetricsExposition {
    package static func render(
        metrics: RouterMetrics, budgets: [LimitsEnforcer.BudgetStatus], circuits: [CircuitSample], startTime: Date
    ) -> String {
        var writer = PrometheusTextWriter()
        metrics.write(to: &writer)

        writer.family("localrouter_budget_used_ratio", type: "gauge", help: "Spent share of each key's budget in the current period (1 = exhausted).")
        for budget in budgets {
            let ratio = budget.budgetUSD > 0 ? budget.spentUSD / budget.budgetUSD : (budget.spentUSD > 0 ? 1 : 0)
            writer.sample("localrouter_budget_used_ratio", [("key", budget.keyName), ("period", budget.period.rawValue)], ratio)
        }
        writer.family("localrouter_budget_spent_usd", type: "gauge", help: "USD spent by each key with a budget in the current period.")
        for budget in budgets {
            writer.sample("localrouter_budget_spent_usd", [("key", budget.keyName), ("period", budget.period.rawValue)], budget.spentUSD)
        }
        writer.family("localrouter_budget_reserved_usd", type: "gauge", help: "USD reserved by requests in flight against each key's budget.")
        for budget in budgets {
            writer.sample("localrouter_budget_reserved_usd", [("key", budget.keyName), ("period", budget.period.rawValue)], budget.reservedUSD)
        }
        writer.family("localrouter_budget_limit_usd", type: "gauge", help: "Each key's budget in USD per period.")
        for budget in budgets {
            writer.sample("localrouter_budget_limit_usd", [("key", budget.keyName), ("period", budget.period.rawValue)], budget.budgetUSD)
        }

        writer.family("localrouter_target_circuit_state", type: "gauge", help: "1 for each target's current circuit state (closed, open, half-open), 0 for the others.")
        for circuit in circuits.sorted(by: { $0.target < $1.target }) {
            let slash = circuit.target.firstIndex(of: "/") ?? circuit.target.endIndex
            let provider = String(circuit.target[..<slash])
            let model = slash == circuit.target.endIndex ? "" : String(circuit.target[circuit.target.index(after: slash)...])
            for state in [CircuitBreaker.State.closed, .open, .halfOpen] {
                writer.sample(
                    "localrouter_target_circuit_state", [("provider", provider), ("model", model), ("state", state.rawValue)],
                    circuit.state == state ? 1 : 0)
            }
        }

        writer.family("localrouter_start_time_seconds", type: "gauge", help: "When the daemon started, in seconds since the Unix epoch.")
        writer.sample("localrouter_start_time_seconds", [], (startTime.timeIntervalSince1970 * 1000).rounded() / 1000)
        return writer.text
    }

    /// Everything the daemon knows now.
    package static func render(runtime: RouterRuntime) -> String {
        let accounting = runtime.accounting
        let startTime = Date().addingTimeInterval(-seconds(ContinuousClock.now - runtime.startedAt))
        return render(
            metrics: accounting.metrics, budgets: accounting.limits.budgetStatuses(), circuits: CircuitSample.current(from: runtime),
            startTime: startTime)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
