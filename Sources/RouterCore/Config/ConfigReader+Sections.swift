import Yams

// The sections of `config.yaml` (SPEC §3), each read with defaults from `Configuration`.
extension ConfigReader {
    func readConfiguration(_ root: Node) -> Configuration {
        var configuration = Configuration()
        guard case .mapping = root else {
            report("expected a mapping of settings at the top level, got \(Self.describe(root))", at: root.mark)
            return configuration
        }
        guard let top = mapping(root, path: "", allowedKeys: ConfigKeys.root) else { return configuration }

        if let entry = top["version"] {
            if let version = integer(entry, minimum: 0), version != 1 {
                report(
                    "version: unsupported version \(version) (this localrouter reads version 1)", at: entry.value.mark)
            }
        } else {
            report("missing required key 'version' (add 'version: 1' at the top)", at: top.mark)
        }
        if let entry = top["server"] { readServer(entry, into: &configuration.server) }

        // Names are collected before either section is read so that cross-references
        // report only real mistakes, not the fallout of an earlier one.
        let providerEntries = top["providers"].flatMap { mapping($0.value, path: "providers", allowedKeys: nil) }
        let routeEntries = top["routes"].flatMap { mapping($0.value, path: "routes", allowedKeys: nil) }
        let names = DefinedNames(
            providers: providerEntries?.entries.map(\.key) ?? [],
            routes: routeEntries?.entries.map(\.key) ?? [])
        for entry in providerEntries?.entries ?? [] {
            if let provider = readProvider(entry) { configuration.providers.append(provider) }
        }
        for entry in routeEntries?.entries ?? [] {
            if let route = readRoute(entry, names: names) { configuration.routes.append(route) }
        }

        if let entry = top["health"] { readHealth(entry, into: &configuration.health) }
        if let entry = top["retry"], let section = mapping(entry.value, path: "retry", allowedKeys: ConfigKeys.retry) {
            if let value = section["attempts"], let attempts = integer(value, minimum: 1) {
                configuration.retry.attempts = attempts
            }
        }
        if let entry = top["limits"],
            let section = mapping(entry.value, path: "limits", allowedKeys: ConfigKeys.limits)
        {
            if let value = section["rpm"], let rpm = integer(value, minimum: 0) { configuration.limits.rpm = rpm }
            if let value = section["tpm"], let tpm = integer(value, minimum: 0) { configuration.limits.tpm = tpm }
        }
        if let entry = top["pricing"] { configuration.pricing = readPricing(entry, names: names) }
        if let entry = top["logging"] { readLogging(entry, into: &configuration.logging) }
        return configuration
    }

    struct DefinedNames {
        var providers: [String]
        var routes: [String]
    }

    // MARK: - server

    private func readServer(_ entry: ConfigEntry, into server: inout ServerSettings) {
        guard let section = mapping(entry.value, path: "server", allowedKeys: ConfigKeys.server) else { return }
        if let value = section["allow_remote"], let allow = boolean(value) { server.allowRemote = allow }
        if let value = section["listen"], let text = string(value) {
            do {
                let address = try ListenAddress.parse(text)
                if !address.isLoopback, !server.allowRemote {
                    report(
                        "server.listen: \(address) is not a loopback address; set 'allow_remote: true' "
                            + "to accept connections from other machines", at: value.value.mark)
                } else {
                    server.listen = address
                }
            } catch {
                report("server.listen: \(error.message)", at: value.value.mark)
            }
        }
        if let value = section["request_timeout"], let duration = duration(value, allowZero: false) {
            server.requestTimeout = duration
        }
        if let value = section["shutdown_grace"], let duration = duration(value, allowZero: true) {
            server.shutdownGrace = duration
        }
        if let value = section["max_body"], let bytes = byteSize(value) { server.maxBody = bytes }
    }

    // MARK: - providers

    /// Empty names cannot be requested and `/` separates provider from model.
    private func checkName(_ entry: ConfigEntry, kind: String) -> Bool {
        if entry.key.isEmpty {
            report("\(kind) name must not be empty", at: entry.keyMark)
            return false
        }
        if entry.key.contains("/") {
            report("\(kind) name '\(entry.key)' must not contain '/'", at: entry.keyMark)
            return false
        }
        return true
    }

    private func readProvider(_ entry: ConfigEntry) -> ProviderSettings? {
        let nameIsValid = checkName(entry, kind: "provider")
        guard let section = mapping(entry.value, path: entry.path, allowedKeys: ConfigKeys.provider) else { return nil }
        let name = entry.key

        var type: ProviderType?
        if let value = section["type"] {
            type = choice(value, of: ProviderType.self, what: "provider type")
        } else if let implied = ProviderType(rawValue: name) {
            // `openai: {api_key: …}` needs no `type: openai`.
            type = implied
        } else {
            let types = ProviderType.allCases.map(\.rawValue).joined(separator: ", ")
            report("provider '\(name)': missing required key 'type' (one of: \(types))", at: entry.keyMark)
        }

        let apiKey = section["api_key"].flatMap { readAPIKey($0) }
        let baseURL = section["base_url"].flatMap { readBaseURL($0, type: type) }
        let models = section["models"].flatMap { readModels($0) }
        let timeout = section["timeout"].flatMap { duration($0, allowZero: false) }
        let headers = section["headers"].flatMap { readHeaders($0) }

        guard nameIsValid, let type else { return nil }
        if type.requiresAPIKey,
            section.entries.first(where: { $0.key == "api_key" }).map({ Self.isNull($0.value) }) ?? true
        {
            report(
                "provider '\(name)' (type \(type.rawValue)) needs an api_key: "
                    + "'${\(type.environmentVariable)}' or 'secret:NAME'", at: entry.keyMark)
        }
        guard let resolvedBaseURL = baseURL ?? (section["base_url"] == nil ? type.defaultBaseURL : nil) else {
            if section["base_url"] == nil {
                report(
                    "provider '\(name)' (type \(type.rawValue)) needs a base_url, e.g. http://127.0.0.1:8000/v1",
                    at: entry.keyMark)
            }
            return nil
        }
        var provider = ProviderSettings(name: name, type: type, baseURL: resolvedBaseURL)
        provider.apiKey = apiKey
        provider.models = models ?? (type == .mock ? ["echo"] : nil)
        if let timeout { provider.timeout = timeout }
        if let headers { provider.headers = headers }
        return provider
    }

    private func readAPIKey(_ entry: ConfigEntry) -> CredentialSource? {
        guard case .scalar(let scalar) = entry.value, scalar.string.hasPrefix("secret:") else {
            guard let text = string(entry, allowEmpty: true) else { return nil }
            guard !text.isEmpty else {
                report(
                    "\(entry.path): is empty (an environment variable it names may be set but empty)",
                    at: entry.value.mark)
                return nil
            }
            return .value(text)
        }
        guard let text = string(entry) else { return nil }
        let name = String(text.dropFirst("secret:".count))
        guard !name.isEmpty else {
            report(
                "\(entry.path): 'secret:' needs a name, as stored by 'localrouter secrets set NAME'",
                at: entry.value.mark)
            return nil
        }
        return .secret(name: name)
    }

    private func readBaseURL(_ entry: ConfigEntry, type: ProviderType?) -> String? {
        guard let text = string(entry) else { return nil }
        var url = Substring(text)
        while url.hasSuffix("/") { url = url.dropLast() }
        if type == .mock { return String(url) }
        let scheme = ["http://", "https://"].first { url.hasPrefix($0) }
        guard let scheme, url.count > scheme.count else {
            report("\(entry.path): expected an http:// or https:// URL, got '\(text)'", at: entry.value.mark)
            return nil
        }
        return String(url)
    }

    private func readModels(_ entry: ConfigEntry) -> [String]? {
        guard let items = sequence(entry) else { return nil }
        guard !items.isEmpty else {
            report(
                "\(entry.path): is empty; leave 'models' out to discover them from the provider", at: entry.value.mark)
            return nil
        }
        var models: [String] = []
        var failed = false
        for item in items {
            guard let model = string(item) else {
                failed = true
                continue
            }
            if models.contains(model) {
                report("\(item.path): duplicate model '\(model)'", at: item.value.mark)
                failed = true
            }
            models.append(model)
        }
        return failed ? nil : models
    }

    private func readHeaders(_ entry: ConfigEntry) -> [String: String]? {
        guard let section = mapping(entry.value, path: entry.path, allowedKeys: nil) else { return nil }
        var headers: [String: String] = [:]
        for header in section.entries {
            let isToken = HTTPHeaderSyntax.isValidName(header.key)
            if !isToken {
                report("\(entry.path): '\(header.key)' is not a valid HTTP header name", at: header.keyMark)
            }
            if let value = string(header, allowEmpty: true), isToken {
                headers[header.key] = value
            }
        }
        return headers
    }

    // MARK: - routes

    private func readRoute(_ entry: ConfigEntry, names: DefinedNames) -> RouteSettings? {
        var nameIsValid = checkName(entry, kind: "route")
        if nameIsValid, names.providers.contains(entry.key) {
            report("route '\(entry.key)' has the same name as a provider; rename one of them", at: entry.keyMark)
            nameIsValid = false
        }
        guard let section = mapping(entry.value, path: entry.path, allowedKeys: ConfigKeys.route) else { return nil }
        var route = RouteSettings(name: entry.key)
        var valid = nameIsValid
        if let value = section["strategy"] {
            if let strategy = choice(value, of: RouteStrategy.self, what: "strategy") {
                route.strategy = strategy
            } else {
                valid = false
            }
        }
        guard let targetsEntry = section["targets"] else {
            report("route '\(entry.key)': missing required key 'targets' (a list of provider/model)", at: entry.keyMark)
            return nil
        }
        guard let items = sequence(targetsEntry) else { return nil }
        if items.isEmpty {
            report("\(targetsEntry.path): needs at least one target", at: targetsEntry.value.mark)
            return nil
        }
        for item in items {
            if let target = readRouteTarget(item, names: names) {
                route.targets.append(target)
            } else {
                valid = false
            }
        }
        return valid ? route : nil
    }

    private func readRouteTarget(_ item: ConfigEntry, names: DefinedNames) -> RouteTarget? {
        var targetEntry = item
        var weight = 1.0
        if case .mapping = item.value {
            guard let section = mapping(item.value, path: item.path, allowedKeys: ConfigKeys.routeTarget) else {
                return nil
            }
            guard let entry = section["target"] else {
                report("\(item.path): missing required key 'target' (provider/model)", at: item.value.mark)
                return nil
            }
            targetEntry = entry
            if let value = section["weight"] {
                guard let number = number(value, minimum: 0, exclusive: true) else { return nil }
                weight = number
            }
        } else if case .sequence = item.value {
            report(
                "\(item.path): expected provider/model or {target: provider/model, weight: N}, got a list",
                at: item.value.mark)
            return nil
        }
        guard let text = string(targetEntry) else { return nil }
        guard let target = checkModelReference(text, entry: targetEntry, names: names) else { return nil }
        return RouteTarget(target: target, weight: weight)
    }

    /// `provider/model` naming a defined provider; shared by route targets and pricing keys.
    private func checkModelReference(_ text: String, entry: ConfigEntry, names: DefinedNames, mark: Mark? = nil)
        -> String?
    {
        let mark = mark ?? entry.value.mark
        let reference = RouteTarget(target: text)
        guard text.contains("/"), !reference.providerName.isEmpty, !reference.model.isEmpty else {
            report("\(entry.path): expected provider/model, got '\(text)'", at: mark)
            return nil
        }
        let provider = reference.providerName
        guard names.providers.contains(provider) else {
            if names.routes.contains(provider) {
                report("\(entry.path): '\(provider)' is a route, not a provider; targets name a provider", at: mark)
            } else if names.providers.isEmpty {
                report("\(entry.path): unknown provider '\(provider)' in '\(text)'; no providers are defined", at: mark)
            } else {
                let hint =
                    NameSuggestion.closest(to: provider, in: names.providers).map { " (did you mean '\($0)'?)" }
                    ?? "; defined providers: \(names.providers.joined(separator: ", "))"
                report("\(entry.path): unknown provider '\(provider)' in '\(text)'\(hint)", at: mark)
            }
            return nil
        }
        return text
    }

    // MARK: - health, pricing, logging

    private func readHealth(_ entry: ConfigEntry, into health: inout HealthSettings) {
        guard let section = mapping(entry.value, path: "health", allowedKeys: ConfigKeys.health) else { return }
        if let value = section["interval"], let duration = duration(value, allowZero: false) {
            health.interval = duration
        }
        if let value = section["failure_threshold"], let threshold = integer(value, minimum: 1) {
            health.failureThreshold = threshold
        }
        if let value = section["cooldown"], let duration = duration(value, allowZero: true) {
            health.cooldown = duration
        }
    }

    private func readPricing(_ entry: ConfigEntry, names: DefinedNames) -> [String: Price] {
        guard let section = mapping(entry.value, path: "pricing", allowedKeys: nil) else { return [:] }
        var pricing: [String: Price] = [:]
        for item in section.entries {
            let reference = checkModelReference(item.key, entry: item, names: names, mark: item.keyMark)
            guard let prices = mapping(item.value, path: item.path, allowedKeys: ConfigKeys.price) else { continue }
            var input: Double?
            var output: Double?
            for key in ConfigKeys.price {
                guard let value = prices[key] else {
                    report("\(item.path): missing required key '\(key)' (USD per million tokens)", at: item.keyMark)
                    continue
                }
                let price = number(value, minimum: 0, exclusive: false)
                if key == "input" { input = price } else { output = price }
            }
            if let reference, let input, let output {
                pricing[reference] = Price(input: input, output: output)
            }
        }
        return pricing
    }

    private func readLogging(_ entry: ConfigEntry, into logging: inout LoggingSettings) {
        guard let section = mapping(entry.value, path: "logging", allowedKeys: ConfigKeys.logging) else { return }
        if let value = section["access_log"], let enabled = boolean(value) { logging.accessLog = enabled }
        if let value = section["retention_days"], let days = integer(value, minimum: 0) { logging.retentionDays = days }
        if let value = section["level"], let level = choiceText(value, names: ConfigKeys.logLevels, what: "log level") {
            logging.level = level
        }
    }
}
