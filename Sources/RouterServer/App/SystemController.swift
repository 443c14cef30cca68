import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import RouterCore

/// `/health`, `/health/providers` and `GET /v1/models`.
package struct SystemController: Sendable {
    let runtime: RouterRuntime

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    package func register(on router: Router<RouterRequestContext>) {
        router.get("/health") { _, _ in
            Self.json(["status": "ok"])
        }
        router.get("/health/providers") { _, _ in
            Self.json(providersReport())
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: PrometheusTextWriter.contentType],
                body: .init(byteBuffer: ByteBuffer(string: MetricsExposition.render(runtime: runtime))))
        }
        router.get("/v1/models") { _, context in
            let catalog = runtime.snapshot.catalog
            let visible = catalog.entries.filter { context.identity?.allows($0.id) ?? true }
            let data: [JSONValue] = visible.map { entry in
                ["id": .string(entry.id), "object": "model", "created": 0, "owned_by": .string(entry.ownedBy)]
            }
            context.trace.update { $0.status = 200 }
            return Self.json(["object": "list", "data": .array(data)])
        }
    }

    func providersReport() -> JSONValue {
        let snapshot = runtime.snapshot
        let providers: [JSONValue] = snapshot.configuration.providers.map { provider in
            let models = snapshot.catalog.models(of: provider.name)
            return [
                "name": .string(provider.name),
                "type": .string(provider.type.rawValue),
                "base_url": .string(provider.baseURL),
                "models": models.map { .array($0.map(JSONValue.string)) } ?? .null,
                "credential": snapshot.credentialProblems[provider.name].map(JSONValue.string) ?? "ok",
            ]
        }
        return ["providers": .array(providers)]
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: value.serialized())))
    }
}
