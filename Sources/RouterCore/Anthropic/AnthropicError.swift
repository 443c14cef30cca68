/// An error on the Anthropic side of a translation: one Anthropic sent (HTTP body or stream `error`
/// event), one an OpenAI upstream sent that an Anthropic client must see, or a request that cannot be
/// translated. It renders itself in either wire shape with the matching status.
package struct AnthropicError: Error, Sendable, Equatable {
    /// Anthropic's error type, e.g. `overloaded_error`.
    package var type: String
    package var message: String
    /// The HTTP status Anthropic uses (or would use) for this error.
    package var status: Int
    /// The offending request field in OpenAI's `param` sense, when known.
    package var param: String?

    package init(type: String, message: String, status: Int? = nil, param: String? = nil) {
        self.type = type
        self.message = message
        self.status = status ?? Self.status(forType: type)
        self.param = param
    }

    /// A request that cannot be translated: 400 `invalid_request_error` naming the field.
    static func invalidRequest(_ message: String, param: String?) -> AnthropicError {
        AnthropicError(type: "invalid_request_error", message: message, status: 400, param: param)
    }

    /// Reads Anthropic's `{"type":"error","error":{"type":…,"message":…}}`. A body that is not in that
    /// shape still yields an error, typed from the status.
    package init(anthropicBody body: JSONValue?, status: Int) {
        let error = body?["error"]
        let type = error?["type"]?.nonEmptyString ?? Self.anthropicType(forStatus: status)
        let message = error?["message"]?.stringValue ?? "Upstream returned HTTP \(status)"
        self.init(type: type, message: message, status: status)
    }

    /// Reads the `data` of a stream `error` event, where no HTTP status exists.
    package init(anthropicStreamErrorData body: JSONValue?) {
        let error = body?["error"]
        let type = error?["type"]?.nonEmptyString ?? "api_error"
        self.init(type: type, message: error?["message"]?.stringValue ?? "Upstream stream error")
    }

    /// Reads OpenAI's `{"error":{"message","type","param","code"}}` for an Anthropic-speaking client.
    package init(openAIBody body: JSONValue?, status: Int) {
        let error = body?["error"]
        let message = error?["message"]?.stringValue ?? "Upstream returned HTTP \(status)"
        self.init(type: Self.anthropicType(forStatus: status), message: message, status: status, param: error?["param"]?.stringValue)
    }

    /// Reads the `error` object of an OpenAI mid-stream error event, where no HTTP status exists:
    /// the status is inferred from the type and code.
    package init(openAIStreamError error: JSONValue) {
        let status = error["status"]?.intValue ?? error["code"]?.intValue
            ?? Self.status(forOpenAIType: error["type"]?.stringValue, code: error["code"]?.stringValue)
        self.init(openAIBody: ["error": error], status: status)
    }

    /// Anthropic's error body.
    package var anthropicBody: JSONValue {
        ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
    }

    /// OpenAI's error body, as the official SDKs parse it (also the `data` of a mid-stream error event).
    package var openAIBody: JSONValue {
        let (openAIType, code) = Self.openAITypeAndCode(forType: type)
        return [
            "error": [
                "message": .string(message),
                "type": .string(openAIType),
                "param": param.map(JSONValue.string) ?? .null,
                "code": code.map(JSONValue.string) ?? .null,
            ]
        ]
    }

    /// The status to answer an OpenAI client with: 529 is Anthropic's own and OpenAI SDKs do not
    /// know it, so overload becomes 503, which they retry too.
    package var openAIStatus: Int {
        status == 529 ? 503 : status
    }

    /// Worth trying the next target: overload, rate limits, server faults, timeouts.
    package var isRetryable: Bool {
        switch type {
        case "overloaded_error", "rate_limit_error", "api_error", "timeout_error": return true
        default: return status == 408 || status == 429 || status >= 500
        }
    }

    static func status(forType type: String) -> Int {
        switch type {
        case "invalid_request_error": return 400
        case "authentication_error": return 401
        case "billing_error": return 402
        case "permission_error": return 403
        case "not_found_error": return 404
        case "request_too_large": return 413
        case "rate_limit_error": return 429
        case "api_error": return 500
        case "timeout_error": return 504
        case "overloaded_error": return 529
        default: return 500
        }
    }

    static func status(forOpenAIType type: String?, code: String?) -> Int {
        switch (type, code) {
        case (_, "rate_limit_exceeded"?), ("rate_limit_error"?, _), ("requests"?, _), ("tokens"?, _): return 429
        case (_, "insufficient_quota"?), ("insufficient_quota"?, _): return 429
        case ("invalid_request_error"?, _): return 400
        case ("authentication_error"?, _), (_, "invalid_api_key"?): return 401
        case ("permission_error"?, _): return 403
        default: return 500
        }
    }

    static func anthropicType(forStatus status: Int) -> String {
        switch status {
        case 401: return "authentication_error"
        case 402: return "billing_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 503, 529: return "overloaded_error"
        case 504: return "timeout_error"
        case 400..<500: return "invalid_request_error"
        default: return "api_error"
        }
    }

    /// OpenAI's (type, code) closest to an Anthropic error type.
    static func openAITypeAndCode(forType type: String) -> (String, String?) {
        switch type {
        case "invalid_request_error": return ("invalid_request_error", nil)
        case "authentication_error": return ("authentication_error", nil)
        case "billing_error": return ("insufficient_quota", "insufficient_quota")
        case "permission_error": return ("permission_error", nil)
        case "not_found_error": return ("invalid_request_error", "not_found")
        case "request_too_large": return ("invalid_request_error", "request_too_large")
        case "rate_limit_error": return ("rate_limit_error", "rate_limit_exceeded")
        case "timeout_error": return ("timeout_error", "timeout")
        case "overloaded_error": return ("server_error", "overloaded")
        default: return ("server_error", nil)
        }
    }
}
