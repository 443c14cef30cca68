import HTTPTypes
import Hummingbird
import RouterCore

/// Outermost middleware: renders every error in OpenAI's shape and writes the access-log line of
/// each `/v1/` request. (Every response's `x-request-id` is written with its head, by
/// `HTTP1ResponseEncoding`.)
package struct RequestMiddleware: RouterMiddleware {
    package typealias Context = RouterRequestContext
    let runtime: RouterRuntime

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = context.path(of: request)
        context.trace.update {
            if $0.method == nil { $0.method = request.method.rawValue }
            $0.path = path
        }
        // A request the event loop began was counted there.
        if path.hasPrefix("/v1/"), context.carried == nil { runtime.accounting.requestStarted() }
        var response: Response
        do {
            response = try await next(request, context)
        } catch where Task.isCancelled && (context.connection?.hasHungUp ?? !context.channel.isActive) {
            // The client hung up while its request waited (ClientConnectionWatch cancelled it):
            // nobody reads this answer; the log says what happened (499, as nginx logs it).
            context.trace.update { $0.errorClass = "client_disconnected" }
            response = OpenAIError(
                status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "The client closed the connection.",
                type: "client_error", code: "client_disconnected"
            ).makeResponse()
        } catch let error as OpenAIError {
            response = error.makeResponse()
        } catch let error as HTTPError {
            response = Self.translate(error, request: request, path: path).makeResponse()
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(type(of: error))"])
            response = OpenAIError.internalError("The router hit an unexpected error.").makeResponse()
        }
        for field in runtime.accounting.responseHeaders(requestID: context.requestID) where response.headers[HTTPField.Name(field.name)!] == nil {
            response.headers[HTTPField.Name(field.name)!] = field.value
        }
        let trace = context.trace
        let status = Int(response.status.code)
        let completesInBody = trace.update {
            if $0.status == 0 || status >= 400 { $0.status = status }
            if status >= 400, $0.errorClass == nil { $0.errorClass = Self.errorClass(status) }
            return $0.completesInBody
        }
        if !completesInBody, path.hasPrefix("/v1/") {
            RequestCompletion(context: context).complete(runtime)
        }
        return response
    }

    static func translate(_ error: HTTPError, request: Request, path: String) -> OpenAIError {
        switch error.status {
        case .notFound: .notFound(path: path)
        case .methodNotAllowed: .methodNotAllowed(request.method.rawValue, path: path)
        case .contentTooLarge: .bodyTooLarge(limit: 0)
        default: OpenAIError(status: error.status, message: error.body ?? error.status.reasonPhrase, type: "invalid_request_error")
        }
    }

    static func errorClass(_ status: Int) -> String {
        switch status {
        case 400: "invalid_request"
        case 401: "invalid_api_key"
        case 403: "permission_denied"
        case 404: "not_found"
        case 413: "request_too_large"
        case 429: "rate_limited"
        case 502: "upstream_error"
        case 503: "upstream_unavailable"
        case 504: "upstream_timeout"
        default: "http_\(status)"
        }
    }
}
