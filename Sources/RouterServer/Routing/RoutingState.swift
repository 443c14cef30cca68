import RouterCore
import Synchronization

/// Live routing state shared by all requests: per-target circuit breakers and stats, per-route
/// planners. Survives config reloads (keyed by `provider/model` and route name).
///
/// For now a plain fallback order; the breakers and strategies of RouterCore/Routing plug in here.
package final class RoutingState: Sendable {
    package init() {}

    /// The targets to try for one request, in order, at most `attempts` of them.
    package func plan(route: RouteSettings?, targets: [RouteTarget], configuration: Configuration) -> [RouteTarget] {
        Array(targets.prefix(max(1, configuration.retry.attempts)))
    }

    /// A request is being sent to `target`.
    package func attemptStarted(_ target: RouteTarget) {}

    /// The upstream answered usably (2xx, or a 4xx that is the client's fault).
    package func attemptSucceeded(_ target: RouteTarget, timeToFirstByte: Duration) {}

    /// The attempt failed in a way that moves on to the next target.
    package func attemptFailed(_ target: RouteTarget, failure: UpstreamFailure, message: String, retryAfter: Duration?) {}

    /// The attempt is over (success, failure or cancellation): in-flight accounting.
    package func attemptFinished(_ target: RouteTarget) {}
}
