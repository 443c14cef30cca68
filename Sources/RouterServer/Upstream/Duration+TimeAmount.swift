import NIOCore

extension Duration {
    /// This duration as NIO's `TimeAmount`: whole nanoseconds, saturating; a negative duration
    /// (a deadline already past) is zero.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return .zero }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return .nanoseconds(overflow ? .max : scaled &+ attoseconds / 1_000_000_000)
    }
}
