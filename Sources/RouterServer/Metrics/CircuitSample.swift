import RouterCore

/// One target's circuit state, for the `localrouter_target_circuit_state` gauge.
package struct CircuitSample: Sendable, Equatable {
    /// `provider/model`.
    package var target: String
    package var state: CircuitBreaker.State

    package init(target: String, state: CircuitBreaker.State) {
        self.target = target
        self.state = state
    }

    /// Every known target's circuit, read from the routing state.
    package static func current(from runtime: RouterRuntime) -> [CircuitSample] {
        runtime.routing.targetReports(configuration: runtime.snapshot.configuration)
            .values.flatMap { $0 }
            .map { CircuitSample(target: $0.target, state: $0.circuit) }
    }
}
