import RouterCore
import Synchronization

/// The daemon's counters and histograms, rendered for `GET /metrics`.
///
/// Label values are bounded by the config, never by clients: key names (not keys), route and
/// provider names, models the catalog knows (anything else is "unknown"), status codes and
/// error classes. No request ids.
package final class RouterMetrics: Sendable {
    package struct RequestLabels: Hashable, Sendable {
        package var key: String
        package var route: String
        package var provider: String
        package var model: String

        package init(key: String, route: String, provider: String, model: String) {
            self.key = key
            self.route = route
            self.provider = provider
            self.model = model
        }

        var pairs: [(String, String)] { [("key", key), ("route", route), ("provider", provider), ("model", model)] }
    }

    package struct LatencyLabels: Hashable, Sendable {
        var route: String
        var provider: String
        var model: String
        var pairs: [(String, String)] { [("route", route), ("provider", provider), ("model", model)] }
    }

    /// One finished request, as the metrics see it.
    package struct FinishedSample: Sendable {
        package var labels: RequestLabels
        package var status: Int
        package var errorClass: String?
        package var inputTokens: Int?
        package var outputTokens: Int?
        package var costUSD: Double?
        package var latency: Duration
        package var timeToFirstByte: Duration?
    }

    /// Everything recorded for one label set: one dictionary lookup per finished request (a
    /// lookup per metric hashed the four label strings five times).
    private struct Series {
        var requests = 0
        var inputTokens = 0
        var outputTokens = 0
        var costUSD = 0.0
        var statuses: [Int: Int] = [:]
        var errors: [String: Int] = [:]
        var latency = Histogram()
        var timeToFirstByte: Histogram?

        mutating func record(_ sample: FinishedSample) {
            requests += 1
            inputTokens += max(0, sample.inputTokens ?? 0)
            outputTokens += max(0, sample.outputTokens ?? 0)
            costUSD += max(0, sample.costUSD ?? 0)
            statuses[sample.status, default: 0] += 1
            if let errorClass = sample.errorClass { errors[errorClass, default: 0] += 1 }
            latency.observe(RouterMetrics.seconds(sample.latency))
            if let ttfb = sample.timeToFirstByte {
                if timeToFirstByte == nil { timeToFirstByte = Histogram() }
                timeToFirstByte!.observe(RouterMetrics.seconds(ttfb))
            }
        }
    }

    private struct State {
        var series: [RequestLabels: Series] = [:]
        var rejections: [RejectionKey: Int] = [:]
    }

    private struct RejectionKey: Hashable {
        var key: String
        var limit: String
    }

    private let state = Mutex(State())
    private let inFlight = Atomic<Int>(0)

    package init() {}

    package func requestStarted() {
        inFlight.add(1, ordering: .relaxed)
    }

    package var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    package func requestFinished(_ sample: FinishedSample) {
        inFlight.subtract(1, ordering: .relaxed)
        state.withLock { $0.series[sample.labels, default: Series()].record(sample) }
    }

    package func rateLimited(keyName: String, limit: LimitRejection.Limit) {
        state.withLock { $0.rejections[RejectionKey(key: keyName, limit: limit.rawValue), default: 0] += 1 }
    }

    /// Counters, histograms and the in-flight gauge, in exposition format.
    package func write(to writer: inout PrometheusTextWriter) {
        let state = state.withLock { $0 }
        let series = state.series.sorted { Self.order($0.key, $1.key) }

        writer.family("localrouter_requests_total", type: "counter", help: "Finished /v1 requests by key name, route, provider, model and HTTP status.")
        for (labels, recorded) in series {
            for (code, count) in recorded.statuses.sorted(by: { $0.key < $1.key }) {
                writer.sample("localrouter_requests_total", labels.pairs + [("code", String(code))], count)
            }
        }
        writer.family("localrouter_request_errors_total", type: "counter", help: "Failed /v1 requests (status >= 400 or a stream that broke) by error class.")
        for (labels, recorded) in series {
            for (error, count) in recorded.errors.sorted(by: { $0.key < $1.key }) {
                writer.sample("localrouter_request_errors_total", labels.pairs + [("error", error)], count)
            }
        }
        writer.family("localrouter_input_tokens_total", type: "counter", help: "Prompt tokens reported by upstreams.")
        for (labels, recorded) in series { writer.sample("localrouter_input_tokens_total", labels.pairs, recorded.inputTokens) }
        writer.family("localrouter_output_tokens_total", type: "counter", help: "Completion tokens reported by upstreams.")
        for (labels, recorded) in series { writer.sample("localrouter_output_tokens_total", labels.pairs, recorded.outputTokens) }
        writer.family("localrouter_cost_usd_total", type: "counter", help: "Cost in USD at the configured or built-in prices (0 for unknown prices).")
        for (labels, recorded) in series { writer.sample("localrouter_cost_usd_total", labels.pairs, recorded.costUSD) }

        // The histograms leave the key name out: merged over keys here, at scrape time.
        var latency: [LatencyLabels: Histogram] = [:]
        var timeToFirstByte: [LatencyLabels: Histogram] = [:]
        for (labels, recorded) in series {
            let merged = LatencyLabels(route: labels.route, provider: labels.provider, model: labels.model)
            latency[merged, default: Histogram()].add(recorded.latency)
            if let ttfb = recorded.timeToFirstByte { timeToFirstByte[merged, default: Histogram()].add(ttfb) }
        }
        Self.write(histograms: latency, name: "localrouter_request_duration_seconds", help: "Time from request to the end of the response, streams included.", to: &writer)
        Self.write(histograms: timeToFirstByte, name: "localrouter_time_to_first_byte_seconds", help: "Time from request to the first response byte from the upstream.", to: &writer)

        writer.family("localrouter_requests_in_flight", type: "gauge", help: "/v1 requests being handled now.")
        writer.sample("localrouter_requests_in_flight", [], requestsInFlight)

        writer.family("localrouter_rate_limit_rejections_total", type: "counter", help: "Requests refused with 429 by a key's limit: requests, tokens or budget.")
        for (key, count) in state.rejections.sorted(by: { ($0.key.key, $0.key.limit) < ($1.key.key, $1.key.limit) }) {
            writer.sample("localrouter_rate_limit_rejections_total", [("key", key.key), ("limit", key.limit)], count)
        }
    }

    private static func write(histograms: [LatencyLabels: Histogram], name: String, help: String, to writer: inout PrometheusTextWriter) {
        writer.family(name, type: "histogram", help: help)
        for (labels, histogram) in histograms.sorted(by: { ($0.key.route, $0.key.provider, $0.key.model) < ($1.key.route, $1.key.provider, $1.key.model) }) {
            for bucket in histogram.cumulativeBuckets {
                writer.sample(name + "_bucket", labels.pairs + [("le", PrometheusTextWriter.format(bucket.upperBound))], bucket.count)
            }
            writer.sample(name + "_sum", labels.pairs, histogram.sum)
            writer.sample(name + "_count", labels.pairs, histogram.count)
        }
    }

    private static func order(_ lhs: RequestLabels, _ rhs: RequestLabels) -> Bool {
        (lhs.key, lhs.route, lhs.provider, lhs.model) < (rhs.key, rhs.route, rhs.provider, rhs.model)
    }

    fileprivate static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
