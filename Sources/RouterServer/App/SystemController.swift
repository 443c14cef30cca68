import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import RouterCore

/// `/health`, `/health/providers`, `/status` and `GET /v1/models`.
package struct SystemController: Sendable {
    let runtime: RouterRuntime
    let listener: BoundListener?

    package init(runtime: RouterRuntime, listener: BoundListener? = nil) {
        self.runtime = runtime
        self.listener = listener
    }

    package func register(on router: RouteTable) {
        router.get("/health") { _, _ in
            Self.json(["status": "ok"])
        }
        router.get("/health/providers") { _, context in
            try Self.requireLoopback(context)
            return Self.json(ProvidersReport.json(snapshot: runtime.snapshot, routing: runtime.routing))
        }
        router.get("/status") { _, context in
            try Self.requireLoopback(context)
            return Self.json(statusReport())
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

    /// What `localrouter status` shows: the daemon itself, then the providers report.
    func statusReport() -> JSONValue {
        let snapshot = runtime.snapshot
        let uptime = ContinuousClock.now - runtime.startedAt
        let uptimeSeconds = uptime / .seconds(1)
        let listen = listener?.current ?? snapshot.configuration.server.listen
        var report: JSONValue = [
            "status": "ok",
            "version": .string(RouterVersion.current),
            "listen": .string(listen.description),
            "started_at": .string(ProvidersReport.timestamp(Date().addingTimeInterval(-uptimeSeconds))),
            "uptime_seconds": .double((uptimeSeconds * 1000).rounded() / 1000),
            // Absolute, so it still means something to a CLI started in another directory.
            "config_file": snapshot.configuration.sourcePath.map { .string(URL(fileURLWithPath: $0).standardizedFileURL.path) } ?? .null,
            "requests_served": .integer(Int64(runtime.requestsServed)),
        ]
        report["providers"] = ProvidersReport.json(snapshot: snapshot, routing: runtime.routing)["providers"]
        return report
    }

    /// SPEC §4: `/health/providers` needs no key on loopback; from elsewhere (`allow_remote: true`)
    /// only an authenticated client sees it.
    static func requireLoopback(_ context: RouterRequestContext) throws {
        guard context.identity == nil, !isLoopback(context.remoteAddress) else { return }
        throw OpenAIError.permissionDenied("This endpoint answers loopback clients only (or clients with a valid key).")
    }

    /// 127.0.0.0/8, ::1, IPv4-mapped 127.x and Unix sockets.
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4, .v6:
            guard let ip = address.ipAddress else { return false }
            return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: value.serialized(sortingKeys: true))))
    }
}
