import Foundation
import RouterCore
import Testing
@testable import RouterServer

@Suite("Proxying to an OpenAI-compatible upstream")
struct ProxyTests {
    let chat = #"{"model":"fake/gpt-test","messages":[{"role":"user","content":"Hi"}]}"#

    @Test func nonStreamedAnswerPassesThroughWithRoutingHeaders() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: chat)
            #expect(response.status == 200)
            let body = try parseJSON(response.body)
            #expect(body["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue == "Hello there")
            #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
            #expect(response.headers.first(name: "x-localrouter-model") == "gpt-test")
            #expect(response.headers.first(name: "x-localrouter-attempts") == "1")
            #expect(response.headers.first(name: "x-request-id")?.hasPrefix("req_") == true)

            let received = try #require(harness.upstream.requests.last)
            #expect(received.body?["model"]?.stringValue == "gpt-test")
            #expect(received.headers[.authorization] == "Bearer sk-upstream-secret-123456")

            let entry = try #require(harness.log.all.last)
            #expect(entry.fields.status == 200)
            #expect(entry.fields.provider == "fake")
            #expect(entry.fields.inputTokens == 9)
            #expect(entry.fields.outputTokens == 2)
            #expect(entry.path == "/v1/chat/completions")
            #expect(entry.requestID == response.headers.first(name: "x-request-id"))
        }
    }

    @Test func bareModelNameResolvesToTheOnlyProviderOfferingIt() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"gpt-test","messages":[]}"#)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
        }
    }

    @Test func streamedEventsArriveBeforeTheUpstreamFinishes() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(response.headers.first(name: "cache-control") == "no-cache")
            #expect(response.headers.first(name: "x-accel-buffering") == "no")
            // The upstream spends ~900 ms between its first and last content events; the first
            // content must reach the client long before the last.
            let firstContent = try #require(response.chunks.first { $0.text.contains("Hello") })
            let last = try #require(response.chunks.last)
            #expect(last.at - firstContent.at > .milliseconds(500))
            #expect(response.chunks.count >= 4)
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(data.last == "[DONE]")
        }
    }

    @Test func aRequestGoesUpstreamAsTheClientWroteItWithOnlyTheModelReplaced() async throws {
        try await RouterHarness.run { harness in
            let body = "{ \"temperature\": 0.5000, \"messages\" : [ {\"role\":\"user\",\"content\":\"Hi \\u00e9\"} ],\n  \"model\": \"fake/gpt-test\", \"seed\": 12345678901234567890 }"
            #expect(try await harness.post("/v1/chat/completions", json: body).status == 200)
            let sent = try #require(harness.upstream.requests.last)
            #expect(sent.rawBody == body.replacingOccurrences(of: "\"fake/gpt-test\"", with: "\"gpt-test\""))
            // A stream's request changes more than its model (usage is asked for): serialised anew.
            _ = try await harness.stream("/v1/chat/completions", json: body.replacingOccurrences(of: "\"temperature\"", with: "\"stream\": true, \"temperature\""))
            let streamed = try #require(harness.upstream.requests.last)
            #expect(streamed.body?["model"]?.stringValue == "gpt-test")
            #expect(streamed.body?["stream_options"]?["include_usage"]?.boolValue == true)
        }
    }

    @Test func usageIsCapturedButHiddenFromClientsThatDidNotAsk() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/gpt-test","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(!data.contains { $0.contains("\"completion_tokens\"") })
            #expect(data.last == "[DONE]")
            let sent = try #require(harness.upstream.requests.last)
            #expect(sent.body?["stream_options"]?["include_usage"]?.boolValue == true)
            let entry = try #require(await harness.log.all(atLeast: 1).last)
            #expect(entry.fields.stream)
            #expect(entry.fields.inputTokens == 9)
            #expect(entry.fields.outputTokens == 3)
            #expect(entry.fields.ttfb != nil)
        }
    }

    @Test func usageIsForwardedToClientsThatAsked() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions",
                json: #"{"model":"fake/gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            let data = sseData(response.chunks.map(\.text).joined())
            let usage = try #require(data.first { $0.contains("\"completion_tokens\"") })
            #expect(try parseJSON(usage)["usage"]?["completion_tokens"]?.intValue == 3)
        }
    }

    @Test func eventsSplitAcrossReadsAreReassembledAndCommentsDropped() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/split-stream","stream":true,"messages":[]}"#)
            let text = response.chunks.map(\.text).joined()
            #expect(!text.contains("PROCESSING"))
            let data = sseData(text)
            #expect(data.last == "[DONE]")
            let content = data.dropLast().compactMap { try? parseJSON($0) }
                .compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(content == "Hello there!")
            // Every event is whole on the wire: each chunk the client got ends on an event boundary.
            #expect(response.chunks.allSatisfy { $0.text.hasSuffix("\n\n") })
        }
    }

    @Test func aStreamBrokenMidwayEndsWithAnErrorEventNotDone() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/reset-stream","stream":true,"messages":[]}"#)
            #expect(response.status == 200)
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(!data.contains("[DONE]"))
            let last = try parseJSON(try #require(data.last))
            #expect(last["error"]?["code"]?.stringValue == "upstream_stream_error")
            #expect(await harness.log.all(atLeast: 1).last?.fields.errorClass?.hasPrefix("stream_") == true)
        }
    }

    @Test func upstream500BecomesA502ListingTheAttempt() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/fail-500","messages":[]}"#)
            #expect(response.status == 502)
            let error = try parseJSON(response.body)["error"]
            #expect(error?["code"]?.stringValue == "upstream_error")
            #expect(error?["message"]?.stringValue?.contains("fake/fail-500: HTTP 500 (The server had an error)") == true)
        }
    }

    @Test func upstream429BecomesA503WithRetryAfter() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/fail-429","messages":[]}"#)
            #expect(response.status == 503)
            #expect(response.headers.first(name: "retry-after") == "7")
        }
    }

    @Test func otherClientErrorsComeBackAsTheyCame() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/fail-400","messages":[]}"#)
            #expect(response.status == 400)
            #expect(try parseJSON(response.body)["error"]?["message"]?.stringValue == "Invalid 'messages': empty array")
            #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
        }
    }

    @Test func aHangingUpstreamTimesOutWith504() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.providers[0].timeout = .milliseconds(300)
        }) { harness in
            let start = ContinuousClock.now
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/hang","messages":[]}"#)
            #expect(response.status == 504)
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(try parseJSON(response.body)["error"]?["code"]?.stringValue == "upstream_timeout")
        }
    }

    @Test func fallbackMovesOnWhenTheFirstTargetRefusesConnections() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            var dead = ProviderSettings(name: "dead", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
            dead.models = ["gpt-test"]
            configuration.providers.append(dead)
            configuration.routes.append(
                RouteSettings(name: "smart", targets: [RouteTarget(target: "dead/gpt-test"), RouteTarget(target: "fake/gpt-test")]))
        }) { harness in
            let start = ContinuousClock.now
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"smart","messages":[]}"#)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-localrouter-attempts") == "2")
            #expect(response.headers.first(name: "x-localrouter-provider") == "fake")
            // AsyncHTTPClient's default retries a refused connect for its whole 5 s+ connect
            // timeout; ours fails it at once (loose bound: CI machines are loaded).
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(harness.log.all.last?.fields.route == "smart")
            #expect(harness.log.all.last?.fields.attempts == 2)
        }
    }

    @Test func embeddingsPassThrough() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/embeddings", json: #"{"model":"fake/gpt-test","input":"hello"}"#)
            #expect(response.status == 200)
            #expect(try parseJSON(response.body)["data"]?.arrayValue?.count == 1)
            #expect(harness.log.all.last?.fields.inputTokens == 3)
        }
    }
}
