import Logging
import RouterCore
import Synchronization

/// The daemon's live state. Requests take one `Snapshot` when they start and finish on it,
/// so a reload swaps the snapshot without disturbing requests in flight.
package final class RouterRuntime: Sendable {
    /// A class, so taking one is one retain rather than a copy of the whole configuration.
    package final class Snapshot: Sendable {
        package let configuration: Configuration
        package let catalog: ModelCatalog
        /// Provider name -> resolved upstream API key. Never logged.
        package let credentials: [String: String]
        /// Provider name -> why its credential could not be resolved.
        package let credentialProblems: [String: String]

        init(configuration: Configuration, catalog: ModelCatalog, credentials: [String: String], credentialProblems: [String: String]) {
            self.configuration = configuration
            self.catalog = catalog
            self.credentials = credentials
            self.credentialProblems = credentialProblems
        }

        func replacingCatalog(_ catalog: ModelCatalog) -> Snapshot {
            Snapshot(configuration: configuration, catalog: catalog, credentials: credentials, credentialProblems: credentialProblems)
        }
    }

    package let transport: UpstreamTransport
    package let routing: RoutingState
    package let accessLog: AccessLogSink?
    /// The issued `lr-` keys. nil only where a test exercises the proxy without auth; `serve` always sets it.
    package let keyRing: ClientKeyRing?
    /// Rate limits, budgets and metrics; survives reloads.
    package let accounting: RequestAccounting
    package let logger: Logger
    package let startedAt = ContinuousClock.now
    private let current: Mutex<Snapshot>
    private let discovered = Mutex<[String: [String]]>([:])
    private let served = Atomic<Int>(0)

    package init(
        configuration: Configuration,
        credentials: CredentialResolver,
        transport: UpstreamTransport,
        accessLog: AccessLogSink?,
        keyRing: ClientKeyRing? = nil,
        logger: Logger,
        routing: RoutingState = RoutingState(),
        accounting: RequestAccounting = RequestAccounting()
    ) {
        self.transport = transport
        self.routing = routing
        self.accessLog = accessLog
        self.keyRing = keyRing
        self.accounting = accounting
        self.logger = logger
        self.current = Mutex(Self.makeSnapshot(configuration, credentials: credentials, discovered: [:]))
    }

    package var snapshot: Snapshot { current.withLock { $0 } }

    package var requestsServed: Int { served.load(ordering: .relaxed) }

    package func countRequest() { served.add(1, ordering: .relaxed) }

    /// Swaps in a new configuration (already validated).
    package func apply(_ configuration: Configuration, credentials: CredentialResolver) {
        let models = discovered.withLock { $0 }
        let snapshot = Self.makeSnapshot(configuration, credentials: credentials, discovered: models)
        current.withLock { $0 = snapshot }
    }

    /// Records the models a provider reported, and rebuilds the catalog with them.
    package func updateDiscoveredModels(provider: String, models: [String]) {
        let all = discovered.withLock {
            $0[provider] = models
            return $0
        }
        current.withLock { snapshot in
            snapshot = snapshot.replacingCatalog(ModelCatalog(configuration: snapshot.configuration, discoveredModels: all))
        }
    }

    private static func makeSnapshot(_ configuration: Configuration, credentials: CredentialResolver, discovered: [String: [String]]) -> Snapshot {
        var resolved: [String: String] = [:]
        var problems: [String: String] = [:]
        for provider in configuration.providers {
            switch provider.apiKey {
            case .none: break
            case .value(let value): resolved[provider.name] = value
            case .secret(let name):
                switch credentials(name) {
                case .success(let value): resolved[provider.name] = value
                case .failure(let problem): problems[provider.name] = problem.message
                }
            }
        }
        return Snapshot(
            configuration: configuration,
            catalog: ModelCatalog(configuration: configuration, discoveredModels: discovered),
            credentials: resolved,
            credentialProblems: problems
        )
    }
}

/// Looks up a `secret:NAME` reference. The failure message names the secret, never a value.
package typealias CredentialResolver = @Sendable (String) -> Result<String, CredentialProblem>

package struct CredentialProblem: Error, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
}
