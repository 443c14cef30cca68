@testable import RouterCore

/// A fake clock: a fixed origin plus whatever offset the test chooses.
struct RoutingFakeClock {
    let origin = ContinuousClock.now

    func at(_ offset: Duration) -> ContinuousClock.Instant {
        origin + offset
    }

    func at(seconds: Double) -> ContinuousClock.Instant {
        origin + .milliseconds(Int64(seconds * 1000))
    }
}
