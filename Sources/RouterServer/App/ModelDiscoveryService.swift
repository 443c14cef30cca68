import Logging
import NIOCore
import RouterCore
import ServiceLifecycle

/// Learns the models of providers whose config lists none: Ollama's `/api/tags`, the
/// OpenAI-style `GET /models` otherwise. Runs at start and then every `health.interval`;
/// it never delays readiness, and a provider it cannot reach simply stays unknown.
package struct ModelDiscoveryService: Service {
    let runtime: RouterRuntime

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    package func run() async throws {
        // Ends quietly on shutdown: a service that throws there makes ServiceGroup cancel
        // everything, requests still draining included.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await discoverAll()
                do { try await Task.sleep(for: runtime.snapshot.configuration.health.interval) } catch { return }
            }
        }
    }

    package func discoverAll() async {
        let snapshot = runtime.snapshot
        await withTaskGroup(of: Void.self) { group in
            for provider in snapshot.configuration.providers where provider.models == nil && provider.type != .mock {
                let credential = snapshot.credentials[provider.name]
                group.addTask {
                    if let models = await discover(provider, credential: credential) {
                        runtime.updateDiscoveredModels(provider: provider.name, models: models)
                    }
                }
            }
        }
    }

    func discover(_ provider: ProviderSettings, credential: String?) async -> [String]? {
        let url: String
        var headers: [(name: String, value: String)] = [("accept", "application/json")]
        switch provider.type {
        case .ollama:
            url = provider.baseURL + "/api/tags"
        case .anthropic:
            url = provider.baseURL + "/models"
            if let credential { headers.append(("x-api-key", credential)) }
            headers.append(("anthropic-version", "2023-06-01"))
        default:
            url = provider.baseURL + "/models"
            if let credential { headers.append(("authorization", "Bearer \(credential)")) }
        }
        for (name, value) in provider.headers { headers.append((name, value)) }
        do {
            let response = try await runtime.transport.send(method: .GET, url: url, headers: headers, body: nil, timeout: .seconds(5))
            let body = try await response.collectBody(limit: 8 * 1024 * 1024)
            guard response.status == 200, let json = try? JSONValue.parse(body.readableBytesView) else {
                runtime.logger.debug("model discovery failed", metadata: ["provider": "\(provider.name)", "status": "\(response.status)"])
                return nil
            }
            return Self.modelIDs(in: json)
        } catch {
            runtime.logger.debug("model discovery failed", metadata: ["provider": "\(provider.name)", "error": "\(error)"])
            return nil
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
}
