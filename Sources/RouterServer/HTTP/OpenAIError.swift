import HTTPTypes
import Hummingbird
import NIOCore
import RouterCore

/// An error in OpenAI's wire shape, `{"error":{"message","type","param","code"}}`, which the
/// official SDKs turn into their typed exceptions. Messages never carry a secret.
package struct OpenAIError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var message: String
    package var type: String
    package var param: String?
    package var code: String?
    /// Extra response headers (`Retry-After`, rate-limit headers).
    package var headers: HTTPFields = [:]

    package init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    package var body: JSONValue {
        [
            "error": [
                "message": .string(message),
                "type": .string(type),
                "param": param.map(JSONValue.string) ?? .null,
                "code": code.map(JSONValue.string) ?? .null,
            ]
        ]
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    package func makeResponse() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized(sortingKeys: true))))
    }

    /// The SSE event that ends a stream which failed after its first byte.
    package var streamEvent: String {
        "data: " + String(decoding: body.serialized(), as: UTF8.self) + "\n\n"
    }
}

extension OpenAIError {
    package static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    package static func modelNotFound(_ message: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: message, type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    package static func permissionDenied(_ message: String) -> OpenAIError {
        OpenAIError(status: .forbidden, message: message, type: "invalid_request_error", code: "model_not_allowed")
    }

    package static func bodyTooLarge(limit: Int) -> OpenAIError {
        OpenAIError(
            status: .contentTooLarge,
            message: "Request body is larger than server.max_body (\(limit) bytes).",
            type: "invalid_request_error",
            code: "request_too_large"
        )
    }

    package static func notFound(path: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "No endpoint \(path). See /v1/models, /v1/chat/completions.", type: "invalid_request_error", code: "not_found")
    }

    package static func methodNotAllowed(_ method: String, path: String) -> OpenAIError {
        OpenAIError(status: .methodNotAllowed, message: "Method \(method) is not allowed on \(path).", type: "invalid_request_error", code: "method_not_allowed")
    }

    package static func upstream(status: HTTPResponse.Status, message: String, code: String) -> OpenAIError {
        OpenAIError(status: status, message: message, type: "upstream_error", code: code)
    }

    package static func internalError(_ message: String) -> OpenAIError {
        OpenAIError(status: .internalServerError, message: message, type: "server_error", code: "internal_error")
    }
}
