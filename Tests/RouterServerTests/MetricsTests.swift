import Foundation
import RouterCore
import Testing
@testable import RouterServer

@Suite("GET /metrics")
struct MetricsTests {
    /// Scrapes until every request has finished (a stream finishes just after its last byte).
    static func settledMetrics(_ harness: RouterHarness) async throws -> (text: String, families: [String: MetricsTextParser.Family]) {
        let deadline = ContinuousClock.now + .seconds(3)
        while true {
            let response = try await harness.get("/metrics")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "text/plain; version=0.0.4; charset=utf-8")
            let families = try MetricsTextParser.parse(response.body)
            if families["localrouter_requests_in_flight"]?.value([:]) == 0 || ContinuousClock.now > deadline {
                return (response.body, families)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func countsTokensErrorsAndLatencyWithBoundedLabels() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.routes.append(RouteSettings(name: "smart", targets: [RouteTarget(target: "fake/gpt-test")]))
            configuration.pricing = ["fake/gpt-test": Price(input: 1_000, output: 2_000)]
        }) { harness in
            #expect(try await harness.post("/v1/chat/completions", json: #"{"model":"smart","messages":[]}"#).status == 200)
            #expect(try await harness.stream("/v1/chat/completions", json: #"{"model":"smart","stream":true,"messages":[]}"#).status == 200)
            // A client inventing model names must not create series per name.
            for index in 0..<5 {
                #expect(try await harness.post("/v1/chat/completions", json: #"{"model":"made-up-\#(index)","messages":[]}"#).status == 404)
            }
            #expect(try await harness.post("/v1/chat/completions", json: #"{"model":"fake/fail-500","messages":[]}"#).status == 502)

            let (text, families) = try await Self.settledMetrics(harness)
            let smart = ["key": "(none)", "route": "smart", "provider": "fake", "model": "gpt-test"]
            let requests = try #require(families["localrouter_requests_total"])
            #expect(requests.type == "counter")
            #expect(requests.value(smart.merging(["code": "200"]) { $1 }) == 2)
            #expect(requests.value(["model": "unknown", "code": "404", "provider": ""]) == 5)
            let madeUp = requests.samples.filter { $0.labels["model"]?.hasPrefix("made-up") == true }
            #expect(madeUp.isEmpty)
            #expect(requests.value(["provider": "fake", "model": "fail-500", "code": "502"]) == 1)
            #expect(families["localrouter_request_errors_total"]?.value(["model": "fail-500", "error": "upstream_error"]) == 1)
            #expect(families["localrouter_request_errors_total"]?.value(["model": "unknown", "error": "not_found"]) == 5)

            // Non-streamed 9 + 2, streamed 9 + 3 tokens; cost at $1000 / $2000 per million.
            #expect(families["localrouter_input_tokens_total"]?.value(smart) == 18)
            #expect(families["localrouter_output_tokens_total"]?.value(smart) == 5)
            let cost = try #require(families["localrouter_cost_usd_total"]?.value(smart))
            #expect(abs(cost - 0.028) < 1e-12)

            let latency = try #require(families["localrouter_request_duration_seconds"])
            #expect(latency.type == "histogram")
            #expect(latency.value(["route": "smart", "model": "gpt-test"], suffix: "_count") == 2)
            #expect(latency.value(["route": "smart", "model": "gpt-test", "le": "+Inf"], suffix: "_bucket") == 2)
            let ttfb = try #require(families["localrouter_time_to_first_byte_seconds"])
            #expect(ttfb.value(["route": "smart", "model": "gpt-test"], suffix: "_count") == 2)
            #expect(families["localrouter_requests_in_flight"]?.value([:]) == 0)
            #expect(families["localrouter_target_circuit_state"]?.type == "gauge")
            #expect(families["localrouter_budget_used_ratio"]?.type == "gauge")
            #expect(families["localrouter_rate_limit_rejections_total"]?.type == "counter")
            #expect((families["localrouter_start_time_seconds"]?.value([:]) ?? 0) > 1_700_000_000)
            #expect(!text.contains("req_"))
            #expect(!text.contains("sk-upstream-secret"))
        }
    }

    @Test func inFlightCountsAStreamUntilItEnds() async throws {
        try await RouterHarness.run { harness in
            async let streamed = harness.stream("/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[]}"#)
            // The stream takes ~900 ms upstream: it is in flight meanwhile.
            var sawInFlight = false
            for _ in 0..<50 where !sawInFlight {
                let families = try MetricsTextParser.parse(try await harness.get("/metrics").body)
                sawInFlight = families["localrouter_requests_in_flight"]?.value([:]) == 1
                if !sawInFlight { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(sawInFlight)
            #expect(try await streamed.status == 200)
            let (_, families) = try await Self.settledMetrics(harness)
            #expect(families["localrouter_requests_in_flight"]?.value([:]) == 0)
        }
    }

    @Test func writerEscapesLabelValuesAndRendersCircuitsAndBudgets() throws {
        let metrics = RouterMetrics()
        metrics.requestStarted()
        metrics.requestFinished(
            .init(
                labels: .init(key: "we\"ird\\key\nname", route: "", provider: "p", model: "m"), status: 200, errorClass: nil,
                inputTokens: 1, outputTokens: 2, costUSD: 0.5, latency: .milliseconds(7), timeToFirstByte: nil))
        let text = MetricsExposition.render(
            metrics: metrics,
            budgets: [.init(keyName: "k", period: .month, budgetUSD: 4, spentUSD: 1, reservedUSD: 0.5)],
            circuits: [CircuitSample(target: "openai/gpt-4.1", state: .open), CircuitSample(target: "local/llama3", state: .halfOpen)],
            startTime: Date(timeIntervalSince1970: 1_800_000_000))
        let families = try MetricsTextParser.parse(text)
        #expect(families["localrouter_requests_total"]?.samples.first?.labels["key"] == "we\"ird\\key\nname")
        #expect(text.contains(#"key="we\"ird\\key\nname""#))
        let circuits = try #require(families["localrouter_target_circuit_state"])
        #expect(circuits.value(["provider": "openai", "model": "gpt-4.1", "state": "open"]) == 1)
        #expect(circuits.value(["provider": "openai", "model": "gpt-4.1", "state": "closed"]) == 0)
        #expect(circuits.value(["provider": "local", "model": "llama3", "state": "half-open"]) == 1)
        #expect(families["localrouter_budget_used_ratio"]?.value(["key": "k", "period": "month"]) == 0.25)
        #expect(families["localrouter_budget_reserved_usd"]?.value(["key": "k"]) == 0.5)
        // The 7 ms request falls in the 0.01 bucket and every one above it.
        let latency = try #require(families["localrouter_request_duration_seconds"])
        #expect(latency.value(["le": "0.005"], suffix: "_bucket") == 0)
        #expect(latency.value(["le": "0.01"], suffix: "_bucket") == 1)
        #expect(latency.value(["le": "300"], suffix: "_bucket") == 1)
        #expect(abs((latency.value([:], suffix: "_sum") ?? 0) - 0.007) < 1e-9)
    }

    @Test func histogramsMergeKeysWhileCountersKeepThem() throws {
        let metrics = RouterMetrics()
        func finish(key: String, status: Int, errorClass: String?, latency: Duration, ttfb: Duration?) {
            metrics.requestStarted()
            metrics.requestFinished(
                .init(
                    labels: .init(key: key, route: "r", provider: "p", model: "m"), status: status, errorClass: errorClass,
                    inputTokens: 3, outputTokens: nil, costUSD: nil, latency: latency, timeToFirstByte: ttfb))
        }
        finish(key: "a", status: 200, errorClass: nil, latency: .milliseconds(3), ttfb: .milliseconds(1))
        finish(key: "b", status: 200, errorClass: nil, latency: .milliseconds(40), ttfb: nil)
        finish(key: "b", status: 502, errorClass: "upstream_error", latency: .milliseconds(200), ttfb: .milliseconds(150))
        let families = try MetricsTextParser.parse(
            MetricsExposition.render(metrics: metrics, budgets: [], circuits: [], startTime: Date()))
        let requests = try #require(families["localrouter_requests_total"])
        #expect(requests.value(["key": "a", "code": "200"]) == 1)
        #expect(requests.value(["key": "b", "code": "200"]) == 1)
        #expect(requests.value(["key": "b", "code": "502"]) == 1)
        #expect(families["localrouter_request_errors_total"]?.value(["key": "b", "error": "upstream_error"]) == 1)
        #expect(families["localrouter_input_tokens_total"]?.value(["key": "b"]) == 6)
        // One series per route/provider/model, whatever the key.
        let latency = try #require(families["localrouter_request_duration_seconds"])
        #expect(latency.value(["route": "r", "le": "0.005"], suffix: "_bucket") == 1)
        #expect(latency.value(["route": "r", "le": "0.05"], suffix: "_bucket") == 2)
        #expect(latency.value(["route": "r", "le": "+Inf"], suffix: "_bucket") == 3)
        #expect(latency.value(["route": "r"], suffix: "_count") == 3)
        #expect(abs((latency.value(["route": "r"], suffix: "_sum") ?? 0) - 0.243) < 1e-9)
        let ttfb = try #require(families["localrouter_time_to_first_byte_seconds"])
        #expect(ttfb.value(["route": "r"], suffix: "_count") == 2)
    }

    @Test func grafanaDashboardReadsOnlyExposedMetrics() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: repository.appendingPathComponent("docs/grafana/localrouter.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 15)

        let exposed = try MetricsTextParser.parse(
            MetricsExposition.render(metrics: RouterMetrics(), budgets: [], circuits: [], startTime: Date()))
        let pattern = try Regex(#"localrouter_[a-z_]+"#)
        var referenced = Set<String>()
        for expression in expressions {
            for match in expression.matches(of: pattern) {
                var name = String(expression[match.range])
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && exposed[name] == nil {
                    name = String(name.dropLast(suffix.count))
                }
                referenced.insert(name)
            }
        }
        #expect(referenced.count >= 10)
        for name in referenced {
            #expect(exposed[name] != nil, "the dashboard reads \(name), which /metrics does not expose")
        }
    }

    @Test func parserRejectsMalformedExposition() {
        #expect(throws: MetricsTextParser.Problem.self) { try MetricsTextParser.parse("x 1\n") }  // no TYPE
        #expect(throws: MetricsTextParser.Problem.self) { try MetricsTextParser.parse("# TYPE x counter\nx{a=\"1} 1\n") }
        #expect(throws: MetricsTextParser.Problem.self) { try MetricsTextParser.parse("# TYPE x counter\nx 1\nx 2\n") }
        #expect(throws: MetricsTextParser.Problem.self) {
            try MetricsTextParser.parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n")
        }
    }
}
