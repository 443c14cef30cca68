/// Cumulative-bucket histogram state for one label set (Prometheus `histogram`).
package struct Histogram: Sendable, Equatable {
    /// Seconds. LLM requests run from milliseconds (cached, local) to minutes (long generations).
    package static let secondsBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    package let bounds: [Double]
    /// Non-cumulative: `counts[i]` holds observations in `(bounds[i-1], bounds[i]]`; the last is `+Inf`.
    package private(set) var counts: [Int]
    package private(set) var sum = 0.0
    package private(set) var count = 0

    package init(bounds: [Double] = Histogram.secondsBuckets) {
        self.bounds = bounds
        self.counts = Array(repeating: 0, count: bounds.count + 1)
    }

    package mutating func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 } ?? bounds.count
        counts[index] += 1
        sum += value
        count += 1
    }

    /// Adds another histogram's observations (same bounds).
    package mutating func add(_ other: Histogram) {
        precondition(bounds == other.bounds, "histograms with different buckets")
        for index in counts.indices { counts[index] += other.counts[index] }
        sum += other.sum
        count += other.count
    }

    /// `(le, cumulative count)` pairs ending with `+Inf`.
    package var cumulativeBuckets: [(upperBound: Double, count: Int)] {
        var running = 0
        return (bounds + [.infinity]).enumerated().map { index, bound in
            running += counts[index]
            return (bound, running)
        }
    }
}
