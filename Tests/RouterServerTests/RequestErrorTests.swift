import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import RouterCore
import Testing
@testable import RouterServer

@Suite("Bad requests get OpenAI-shaped errors")
struct RequestErrorTests {
    private func expectError(_ response: (status: Int, headers: HTTPHeaders, body: String), status: Int, code: String?) throws {
        #expect(response.status == status)
        let error = try parseJSON(response.body)["error"]
        #expect(error?["message"]?.stringValue?.isEmpty == false)
        #expect(error?["type"]?.stringValue != nil)
        if let code { #expect(error?["code"]?.stringValue == code) }
        #expect(response.headers.first(name: "x-request-id") != nil)
        #expect(response.headers.first(name: "content-type") == "application/json")
    }

    @Test func malformedJSONIs400() async throws {
        try await RouterHarness.run { harness in
            try expectError(try await harness.post("/v1/chat/completions", json: #"{"model": "mock/echo", "#), status: 400, code: "invalid_json")
            try expectError(try await harness.post("/v1/chat/completions", json: "[1,2]"), status: 400, code: "invalid_json")
        }
    }

    @Test func missingModelIs400() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"messages":[]}"#)
            try expectError(response, status: 400, code: "missing_model")
            #expect(try parseJSON(response.body)["error"]?["param"]?.stringValue == "model")
        }
    }

    @Test func unknownModelIs404() async throws {
        try await RouterHarness.run { harness in
            try expectError(try await harness.post("/v1/chat/completions", json: #"{"model":"nope","messages":[]}"#), status: 404, code: "model_not_found")
            try expectError(try await harness.post("/v1/chat/completions", json: #"{"model":"mock/nope","messages":[]}"#), status: 404, code: "model_not_found")
            #expect(harness.log.all.last?.fields.status == 404)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await RouterHarness.run(configure: { configuration, _ in configuration.server.maxBody = 1024 }) { harness in
            let big = #"{"model":"mock/echo","messages":[{"role":"user","content":""# + String(repeating: "x", count: 4096) + #""}]}"#
            try expectError(try await harness.post("/v1/chat/completions", json: big), status: 413, code: "request_too_large")
        }
    }

    @Test func unknownPathIs404InOpenAIShape() async throws {
        try await RouterHarness.run { harness in
            try expectError(try await harness.post("/v1/nothing", json: "{}"), status: 404, code: "not_found")
            // A known path with a method it does not serve, and a prefix of a known path.
            try expectError(try await harness.get("/v1/chat/completions"), status: 404, code: "not_found")
            try expectError(try await harness.post("/v1/models", json: "{}"), status: 404, code: "not_found")
            try expectError(try await harness.get("/v1"), status: 404, code: "not_found")
            #expect(harness.log.all.last?.fields.status == 404)
        }
    }

    @Test func emptyPathComponentsAreIgnoredAsHummingbirdsRouterDid() async throws {
        try await RouterHarness.run { harness in
            #expect(try await harness.get("/v1//models/").status == 200)
            let chat = try await harness.post("//v1/chat/completions", json: #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(chat.status == 200)
            #expect(try parseJSON(chat.body)["choices"]?.arrayValue?.count == 1)
        }
    }
}

@Suite("The mock provider and the listing endpoints")
struct MockAndListingTests {
    @Test func mockAnswersWithoutAnyKey() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"default","messages":[{"role":"user","content":"ping"}]}"#)
            #expect(response.status == 200)
            let body = try parseJSON(response.body)
            #expect(body["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue == "Mock reply: ping")
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 1)
            #expect(response.headers.first(name: "x-localrouter-provider") == "mock")
        }
    }

    @Test func mockStreams() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"one two three"}]}"#)
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(data.last == "[DONE]")
            let text = data.dropLast().compactMap { try? parseJSON($0) }
                .compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "Mock reply: one two three")
            #expect(!data.contains { $0.contains("\"usage\":{") })
            #expect(await harness.log.all(atLeast: 1).last?.fields.outputTokens == 5)
        }
    }

    @Test func mockEmbeddingsAreDeterministic() async throws {
        try await RouterHarness.run { harness in
            let first = try parseJSON(try await harness.post("/v1/embeddings", json: #"{"model":"mock/echo","input":["a","b"]}"#).body)
            let second = try parseJSON(try await harness.post("/v1/embeddings", json: #"{"model":"mock/echo","input":["a","b"]}"#).body)
            #expect(first["data"]?.arrayValue?.count == 2)
            #expect(first == second)
        }
    }

    @Test func modelsListsRoutesAndProviderModels() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.get("/v1/models")
            #expect(response.status == 200)
            let ids = try parseJSON(response.body)["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.first == "default")
            #expect(ids.contains("fake/gpt-test"))
            #expect(ids.contains("mock/echo"))
        }
    }

    @Test func healthIsOK() async throws {
        try await RouterHarness.run { harness in
            let response = try await harness.get("/health")
            #expect(response.status == 200)
            #expect(try parseJSON(response.body) == ["status": "ok"])
        }
    }

    /// The path the router routes by is Hummingbird's `uri.path`, made without parsing the URI:
    /// by the request parser, or from the request.
    @Test func theRoutingPathIsTheURIsPath() throws {
        var parser = HTTP1RequestParser()
        for path in ["/v1/models", "/v1/models?x=1&y=%20", "/", "/?q", "//v1//models/", "/a%2Fb?c=/d", "/v1/chat/completions?", "http://h/p?q", "*"] {
            parser.append(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nhost: x\r\n\r\n"))
            guard case .head(let head) = try parser.next(), case .end = try parser.next() else {
                Issue.record("\(path) did not parse")
                continue
            }
            let request = Request(head: head.request, body: RequestBody(buffer: ByteBuffer()))
            #expect(request.routingPath == request.uri.path, "\(path)")
            #expect(head.routingPath == request.uri.path, "\(path)")
        }
    }
}
