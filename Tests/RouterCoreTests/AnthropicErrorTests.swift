import Testing

@testable import RouterCore

@Suite struct AnthropicErrorTests {
    @Test func overloadedBecomesRetryable503ForOpenAIClients() throws {
        let error = AnthropicError(anthropicBody: try AnthropicFixtures.json("error-overloaded.json"), status: 529)
        #expect(error.type == "overloaded_error")
        #expect(error.isRetryable)
        #expect(error.openAIStatus == 503)
        #expect(error.openAIBody == ["error": ["message": "Overloaded", "type": "server_error", "param": nil, "code": "overloaded"]])
    }

    @Test func rateLimitIsRetryableAndKeeps429() throws {
        let error = AnthropicError(anthropicBody: try AnthropicFixtures.json("error-rate-limit.json"), status: 429)
        #expect(error.isRetryable)
        #expect(error.openAIStatus == 429)
        #expect(error.openAIBody["error"]?["code"] == "rate_limit_exceeded")
    }

    @Test func invalidRequestIsNotRetryable() throws {
        let error = AnthropicError(anthropicBody: try AnthropicFixtures.json("error-invalid-request.json"), status: 400)
        #expect(!error.isRetryable)
        #expect(error.openAIStatus == 400)
        #expect(error.openAIBody["error"]?["type"] == "invalid_request_error")
        #expect(error.openAIBody["error"]?["message"]?.stringValue?.hasPrefix("messages: roles must alternate") == true)
    }

    @Test(arguments: [
        ("invalid_request_error", 400, false), ("authentication_error", 401, false), ("permission_error", 403, false),
        ("not_found_error", 404, false), ("request_too_large", 413, false), ("rate_limit_error", 429, true),
        ("api_error", 500, true), ("timeout_error", 504, true), ("overloaded_error", 529, true),
    ])
    func statusAndRetryability(type: String, status: Int, retryable: Bool) {
        let error = AnthropicError(type: type, message: "m")
        #expect(error.status == status)
        #expect(error.isRetryable == retryable)
        // Reading the body back with its status gives the same error.
        #expect(AnthropicError(anthropicBody: error.anthropicBody, status: status) == error)
    }

    @Test func unknownBodyIsTypedFromStatus() {
        let error = AnthropicError(anthropicBody: "<html>Bad Gateway</html>", status: 502)
        #expect(error.type == "api_error")
        #expect(error.isRetryable)
        #expect(error.message == "Upstream returned HTTP 502")
    }

    @Test func openAIErrorBecomesAnthropicBody() throws {
        let error = AnthropicError(openAIBody: try AnthropicFixtures.json("openai-error-rate-limit.json"), status: 429)
        #expect(error.status == 429)
        #expect(error.isRetryable)
        #expect(error.anthropicBody == [
            "type": "error",
            "error": [
                "type": "rate_limit_error",
                "message": "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1.",
            ],
        ])
    }

    @Test(arguments: [(400, "invalid_request_error"), (401, "authentication_error"), (404, "not_found_error"), (503, "overloaded_error"), (500, "api_error")])
    func openAIStatusesMapToAnthropicTypes(status: Int, type: String) {
        let error = AnthropicError(openAIBody: ["error": ["message": "x", "type": "whatever", "param": nil, "code": nil]], status: status)
        #expect(error.type == type)
        #expect(error.anthropicBody["error"]?["type"] == .string(type))
    }

    @Test func openAIStreamErrorInfersStatusFromCode() {
        let error = AnthropicError(openAIStreamError: ["message": "slow down", "type": "requests", "param": nil, "code": "rate_limit_exceeded"])
        #expect(error.status == 429)
        #expect(error.type == "rate_limit_error")
    }
}
