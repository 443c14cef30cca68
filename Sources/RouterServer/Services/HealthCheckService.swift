import Foundation
import Logging
import NIOCore
import RouterCore
import ServiceLifecycle

/// Checks every provider at start and then every `health.interval` with a request that costs no
/// tokens — the model listing (`GET {base}/models`, Ollama's `/api/tags`) — and feeds the result to
/// the circuit breakers of the provider's targets (SPEC §5). The same answer teaches the catalog
/// the models of providers whose config lists none, so there is one background request per
/// provider per interval, not two. Checks never delay readiness.
package struct HealthCheckService: Service {
    let runtime: RouterRuntime

    /// A check waits at most this long (or the provider's own `timeout`, if shorter).
    static let maximumCheckTimeout: Duration = .seconds(10)

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    /// Returns (never throws) when shutdown begins: a service that throws during a graceful
    /// shutdown makes the whole group cancel instead of draining.
    package func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await checkAll()
                // Re-read each round so a reload's new interval applies from the next check.
                try? await Task.sleep(for: runtime.snapshot.configuration.health.interval)
            }
        }
    }

    /// Checks every provider once, concurrently, and records the results.
    package func checkAll() async {
        let snapshot = runtime.snapshot
        await withTaskGroup(of: Void.self) { group in
            for provider in snapshot.configuration.providers {
                group.addTask {
                    let (result, models) = await check(
                        provider, credential: snapshot.credentials[provider.name],
                        credentialProblem: snapshot.credentialProblems[provider.name])
                    if let models, provider.models == nil {
                        runtime.updateDiscoveredModels(provider: provider.name, models: models)
                    }
                    record(result, provider: provider.name, configuration: snapshot.configuration)
                }
            }
        }
    }

    private func record(_ result: ProviderHealthCheck, provider: String, configuration: Configuration) {
        let previous = runtime.routing.lastHealthCheck(provider: provider)
        let transitions = runtime.routing.recordHealthCheck(provider: provider, result: result, configuration: configuration)
        if previous?.isHealthy != result.isHealthy {
            if result.isHealthy {
                runtime.logger.info("provider healthy", metadata: ["provider": "\(provider)"])
            } else {
                runtime.logger.warning("provider unhealthy", metadata: ["provider": "\(provider)", "error": "\(result.error ?? "")"])
            }
        }
        for (target, transition) in transitions {
            runtime.logger.notice("circuit \(transition) by health check", metadata: ["target": "\(target)"])
        }
    }

    /// One provider's check: its health, and the model ids it listed (when it listed any).
    package func check(
        _ provider: ProviderSettings, credential: String?, credentialProblem: String?
    ) async -> (ProviderHealthCheck, models: [String]?) {
        let checkedAt = Date()
        if provider.type == .mock {
            return (ProviderHealthCheck(checkedAt: checkedAt, isHealthy: true, latency: .zero, note: "offline mock"), nil)
        }
        if let credentialProblem {
            return (ProviderHealthCheck(checkedAt: checkedAt, isHealthy: false, latency: nil, error: "credential: \(credentialProblem)"), nil)
        }
        let (url, headers) = Self.request(for: provider, credential: credential)
        let timeout = min(provider.timeout, Self.maximumCheckTimeout)
        let start = ContinuousClock.now
        let response: UpstreamResponse
        do {
            response = try await runtime.transport.send(method: .GET, url: url, headers: headers, body: nil, timeout: timeout)
        } catch {
            let latency = ContinuousClock.now - start
            return (ProviderHealthCheck(checkedAt: checkedAt, isHealthy: false, latency: latency, error: error.message), nil)
        }
        let latency = ContinuousClock.now - start
        let body = await Self.collect(response, deadline: start + timeout)
        let path = provider.type == .ollama ? "/api/tags" : "/models"
        switch response.status {
        case 200..<300:
            let models = body.flatMap { try? JSONValue.parse($0.readableBytesView) }.flatMap(Self.modelIDs(in:))
            return (ProviderHealthCheck(checkedAt: checkedAt, isHealthy: true, latency: latency), models)
        case 404, 405:
            // The server answered; it just has no model listing to check with.
            let note = "reachable; no model listing at \(path) (HTTP \(response.status))"
            return (ProviderHealthCheck(checkedAt: checkedAt, isHealthy: true, latency: latency, note: note), nil)
        default:
            var error = "HTTP \(response.status) from \(path)"
            if let message = body.flatMap(Self.errorMessage(in:)) { error += ": " + message }
            let secrets = [credential].compactMap { $0 } + Array(provider.headers.values)
            return (
                ProviderHealthCheck(checkedAt: checkedAt, isHealthy: false, latency: latency, error: Self.redact(error, secrets: secrets)),
                nil
            )
        }
    }

    /// The listing request: Ollama's `/api/tags`; Anthropic's `/models` with `x-api-key` and
    /// `anthropic-version`; the OpenAI-style `/models` with a bearer token for everyone else.
    static func request(for provider: ProviderSettings, credential: String?) -> (url: String, headers: [(name: String, value: String)]) {
        var headers: [(name: String, value: String)] = [("accept", "application/json")]
        let url: String
        switch provider.type {
        case .ollama:
            url = provider.baseURL + "/api/tags"
        case .anthropic:
            url = provider.baseURL + "/models"
            if let credential, !credential.isEmpty { headers.append(("x-api-key", credential)) }
            headers.append(("anthropic-version", UpstreamCall.anthropicVersion))
        default:
            url = provider.baseURL + "/models"
            if let credential, !credential.isEmpty { headers.append(("authorization", "Bearer \(credential)")) }
        }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        return (url, headers)
    }

    /// The body, up to 8 MiB, read under the check's deadline; nil if it failed or was larger.
    private static func collect(_ response: UpstreamResponse, deadline: ContinuousClock.Instant) async -> ByteBuffer? {
        try? await withUpstreamChunks(of: response.body, deadline: deadline) { chunks -> ByteBuffer? in
            var collected = ByteBuffer()
            for await chunk in chunks {
                switch chunk {
                case .data(var buffer):
                    guard collected.readableBytes + buffer.readableBytes <= 8 << 20 else { return nil }
                    collected.writeBuffer(&buffer)
                case .end: return collected
                case .failed: return nil
                }
            }
            return collected
        }
    }

    /// `{"data":[{"id":…}]}` (OpenAI, Anthropic) or `{"models":[{"name":…}]}` (Ollama).
    package static func modelIDs(in json: JSONValue) -> [String]? {
        if let data = json["data"]?.arrayValue {
            return data.compactMap { $0["id"]?.stringValue }
        }
        if let models = json["models"]?.arrayValue {
            return models.compactMap { $0["name"]?.stringValue ?? $0["model"]?.stringValue }
        }
        return nil
    }

    /// The `message` of an OpenAI- or Anthropic-shaped error body, shortened.
    private static func errorMessage(in body: ByteBuffer) -> String? {
        guard let json = try? JSONValue.parse(body.readableBytesView) else { return nil }
        let message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue
        return message.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    /// Removes the provider's own secrets, and anything shaped like an API key, from an upstream's
    /// words before they are stored and shown.
    static func redact(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where secret.count >= 8 {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        let keyPrefixes = ["sk-", "lr-", "sk_", "AIza"]
        guard keyPrefixes.contains(where: { text.contains($0) }) else { return text }
        return text.split(separator: " ", omittingEmptySubsequences: false).map { word in
            keyPrefixes.contains { word.hasPrefix($0) } && word.count >= 12 ? "[redacted]" : String(word)
        }.joined(separator: " ")
    }
}
