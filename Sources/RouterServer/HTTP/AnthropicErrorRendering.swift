import HTTPTypes
import Hummingbird
import NIOCore
import RouterCore

/// Errors for `/v1/messages` clients, in Anthropic's shape:
/// `{"type":"error","error":{"type":"not_found_error","message":"…"}}`.
package enum AnthropicErrorRendering {
    package static func type(forStatus status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 504: "timeout_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }

    package static func body(status: Int, message: String) -> JSONValue {
        ["type": "error", "error": ["type": .string(type(forStatus: status)), "message": .string(message)]]
    }

    package static func response(for error: OpenAIError) -> Response {
        var headers = error.headers
        headers[.contentType] = "application/json"
        let body = body(status: Int(error.status.code), message: error.message)
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized(sortingKeys: true))))
    }

    package static func streamEvent(status: Int, message: String) -> String {
        ServerSentEvent(event: "error", data: String(decoding: body(status: status, message: message).serialized(), as: UTF8.self)).serialized
    }
}
