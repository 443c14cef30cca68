import HTTPTypes
import Hummingbird

/// The daemon's router. Every path it serves is static, so one dictionary lookup finds the
/// endpoint: Hummingbird's `Router` walks a trie component by component (~10,000 instructions
/// of a proxied request's ~330,000, callgrind) and copies the request context to store the
/// matched path. Registration is Hummingbird's (`RouterMethods`: `get`, `post`, `on`), and
/// middleware wraps each endpoint as `Router` does: the middleware added before it.
package final class RouteTable: RouterMethods, HTTPResponderBuilder {
    package typealias Context = RouterRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    private var middlewares: [any MiddlewareProtocol<Request, Response, Context>] = []
    private var endpoints: [String: [HTTPRequest.Method: Handler]] = [:]

    package init() {}

    @discardableResult
    package func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        let key = path.description
        precondition(!key.contains(":") && !key.contains("*") && !key.contains("{"), "RouteTable serves static paths only: \(key)")
        endpoints[key, default: [:]][method] = chain(responder.respond(to:context:))
        return self
    }

    @discardableResult
    package func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        middlewares.append(middleware)
        return self
    }

    package func buildResponder() -> Responder {
        // An unknown path or method: a 404 thrown through all the middleware, as `Router` does.
        Responder(endpoints: endpoints, notFound: chain { _, _ in throw HTTPError(.notFound) })
    }

    private func chain(_ endpoint: @escaping Handler) -> Handler {
        var next = endpoint
        for middleware in middlewares.reversed() {
            let inner = next
            next = { request, context in try await middleware.handle(request, context: context, next: inner) }
        }
        return next
    }

    package struct Responder: HTTPResponder {
        package typealias Context = RouterRequestContext
        let endpoints: [String: [HTTPRequest.Method: Handler]]
        let notFound: Handler

        package func respond(to request: Request, context: Context) async throws -> Response {
            let handler = handler(path: context.path(of: request), method: request.method)
            do {
                return try await handler(request, context)
            } catch let error as any HTTPResponseError {
                return try error.response(from: request, context: context)
            }
        }

        func handler(path: String, method: HTTPRequest.Method) -> Handler {
            if let methods = endpoints[path] { return methods[method] ?? notFound }
            // As Hummingbird's trie matches: empty components ignored ("/v1//models/" is "/v1/models").
            let normalized = "/" + path.split(separator: "/").joined(separator: "/")
            guard normalized != path, let methods = endpoints[normalized] else { return notFound }
            return methods[method] ?? notFound
        }
    }
}

extension Request {
    /// The request target's path, without its query: what `uri.path` gives, without making a new
    /// string on every call (it did, three times a request: routing, auth, the error renderer).
    var routingPath: String { head.routingPath }
}

extension HTTPRequest {
    /// The path the router routes by: the target's path without its query ("/" for none). The
    /// request parser finds it once per request (`HTTP1RequestHead.routingPath`).
    var routingPath: String {
        guard let target = path, !target.isEmpty else { return "/" }
        guard let query = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<query])
    }
}
