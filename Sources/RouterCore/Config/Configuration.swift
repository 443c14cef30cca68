// The validated, defaults-applied configuration (SPEC §3). Built only by `ConfigLoader`;
// everything downstream reads these values and never the YAML.

/// A whole `config.yaml`, every default applied and every reference checked.
package struct Configuration: Sendable, Equatable {
    package var version: Int = 1
    package var server = ServerSettings()
    /// In the order the file lists them.
    package var providers: [ProviderSettings] = []
    /// In the order the file lists them.
    package var routes: [RouteSettings] = []
    package var health = HealthSettings()
    package var retry = RetrySettings()
    package var limits = LimitSettings()
    /// `provider/model` -> USD per million tokens; overrides the built-in table.
    package var pricing: [String: Price] = [:]
    package var logging = LoggingSettings()
    /// The file this came from, when it came from one.
    package var sourcePath: String?

    package init() {}

    package func provider(named name: String) -> ProviderSettings? {
        providerIndex(named: name).map { providers[$0] }
    }

    package func hasProvider(named name: String) -> Bool {
        providerIndex(named: name) != nil
    }

    /// By index, comparing names in place: `first(where:)` copied every provider it passed over
    /// (their strings, headers and models retained and released), several times a request.
    private func providerIndex(named name: String) -> Int? {
        for index in providers.indices where providers[index].name == name { return index }
        return nil
    }

    package func route(named name: String) -> RouteSettings? {
        routes.first { $0.name == name }
    }
}

package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// 127.0.0.0/8, ::1 and `localhost`.
    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    package var description: String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

package struct ServerSettings: Sendable, Equatable {
    package var listen = ListenAddress(host: "127.0.0.1", port: 3625)
    package var allowRemote = false
    /// The whole request, streams included.
    package var requestTimeout: Duration = .seconds(600)
    /// How long in-flight requests get to finish after SIGTERM.
    package var shutdownGrace: Duration = .seconds(10)
    /// Largest request body accepted, in bytes.
    package var maxBody: Int = 16 * 1024 * 1024

    package init() {}
}

package enum ProviderType: String, Sendable, Equatable, CaseIterable {
    case openai
    case anthropic
    case gemini
    case openrouter
    case ollama
    case openaiCompatible = "openai-compatible"
    case mock
}

/// Where an upstream API key comes from. `${VAR}` is substituted while loading, so it
/// arrives here as `.value`; `secret:NAME` is looked up in `secrets.enc` by the server.
package enum CredentialSource: Sendable, Equatable {
    case value(String)
    case secret(name: String)
}

package struct ProviderSettings: Sendable, Equatable {
    package var name: String
    package var type: ProviderType
    package var apiKey: CredentialSource?
    /// Never ends with `/`. Includes the version segment (`…/v1`) except for ollama,
    /// whose base is the server root (`http://127.0.0.1:11434`).
    package var baseURL: String
    /// Models the user listed; nil means "discover from the provider".
    package var models: [String]?
    /// Connect + time to first byte.
    package var timeout: Duration = .seconds(60)
    package var headers: [String: String] = [:]

    package init(name: String, type: ProviderType, baseURL: String) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
    }
}

package enum RouteStrategy: String, Sendable, Equatable, CaseIterable {
    case fallback
    case roundRobin = "round-robin"
    case weighted
    case lowestLatency = "lowest-latency"
    case lowestCost = "lowest-cost"
    case leastBusy = "least-busy"
}

package struct RouteTarget: Sendable, Equatable {
    /// `provider/model`; the provider part names an entry of `providers`.
    package var target: String {
        didSet { (providerName, model) = Self.split(target) }
    }
    package var weight: Double = 1
    /// The parts of `target`, split once (they are read several times per request).
    package private(set) var providerName: String
    package private(set) var model: String

    package init(target: String, weight: Double = 1) {
        self.target = target
        self.weight = weight
        (providerName, model) = Self.split(target)
    }

    /// A target already split, as `ModelCatalog` finds a `provider/model` request.
    package init(providerName: String, model: String, weight: Double = 1) {
        self.target = "\(providerName)/\(model)"
        self.weight = weight
        self.providerName = providerName
        self.model = model
    }

    /// Split at the first "/" found as a byte: `firstIndex(of: Character)` walked graphemes.
    package static func split(_ target: String) -> (provider: String, model: String) {
        guard let slash = target.utf8.firstIndex(of: UInt8(ascii: "/")) else { return (target, "") }
        return (String(target[..<slash]), String(target[target.utf8.index(after: slash)...]))
    }
}

package struct RouteSettings: Sendable, Equatable {
    package var name: String
    package var strategy: RouteStrategy = .fallback
    package var targets: [RouteTarget] = []

    package init(name: String, strategy: RouteStrategy = .fallback, targets: [RouteTarget] = []) {
        self.name = name
        self.strategy = strategy
        self.targets = targets
    }
}

package struct HealthSettings: Sendable, Equatable {
    package var interval: Duration = .seconds(30)
    package var failureThreshold = 3
    package var cooldown: Duration = .seconds(30)
    package init() {}
}

package struct RetrySettings: Sendable, Equatable {
    package var attempts = 3
    package init() {}
}

package struct LimitSettings: Sendable, Equatable {
    /// 0 = unlimited.
    package var rpm = 0
    package var tpm = 0
    package init() {}
}

/// USD per million tokens.
package struct Price: Sendable, Equatable {
    package var input: Double
    package var output: Double
    package init(input: Double, output: Double) {
        self.input = input
        self.output = output
    }
}

package struct LoggingSettings: Sendable, Equatable {
    package var accessLog = true
    package var retentionDays = 30
    package var level = "info"
    package init() {}
}
