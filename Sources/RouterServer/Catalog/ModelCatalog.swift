import RouterCore

/// Which names a client may ask for and where each one goes (SPEC §4: a route name,
/// `provider/model`, or a bare model exactly one provider offers).
package struct ModelCatalog: Sendable {
    package enum Resolution: Sendable, Equatable {
        /// Targets in the route's listed order; `route` is nil for a direct `provider/model`.
        case targets(route: RouteSettings?, [RouteTarget])
        case notFound(String)
    }

    private let configuration: Configuration
    /// Provider name -> its models (configured or discovered); absent when not yet known.
    private let modelsByProvider: [String: [String]]
    /// Every id of `ids`, resolved when the catalog is made: what clients ask for is nearly always
    /// one of them, and resolving one (a route scan, a split, two lookups, a joined target name)
    /// cost ~1,800 instructions a request. Resolution depends on nothing else, so this is exact.
    private var resolved: [String: Resolution] = [:]

    package init(configuration: Configuration, discoveredModels: [String: [String]]) {
        self.configuration = configuration
        var models: [String: [String]] = [:]
        for provider in configuration.providers {
            if let listed = provider.models {
                models[provider.name] = listed
            } else if let discovered = discoveredModels[provider.name] {
                models[provider.name] = discovered
            }
        }
        self.modelsByProvider = models
        for id in ids { resolved[id] = resolveAfresh(id) }
    }

    package func models(of provider: String) -> [String]? { modelsByProvider[provider] }

    /// Whether `id` is one of `ids`, without making the list.
    package func lists(_ id: String) -> Bool { resolved[id] != nil }

    package func resolve(_ requested: String) -> Resolution {
        resolved[requested] ?? resolveAfresh(requested)
    }

    private func resolveAfresh(_ requested: String) -> Resolution {
        if let route = configuration.route(named: requested) {
            return .targets(route: route, route.targets)
        }
        if requested.utf8.contains(UInt8(ascii: "/")) {
            let (providerName, model) = RouteTarget.split(requested)
            if let provider = configuration.provider(named: providerName), !model.isEmpty {
                // A provider whose model list is unknown (discovery pending or failed) passes any model on.
                if let known = modelsByProvider[provider.name], !known.contains(model) {
                    return .notFound("The model '\(requested)' does not exist: provider '\(providerName)' offers \(Self.list(known)).")
                }
                return .targets(route: nil, [RouteTarget(providerName: providerName, model: model)])
            }
        }
        let offering = configuration.providers.filter { modelsByProvider[$0.name]?.contains(requested) == true }
        if offering.count == 1 {
            return .targets(route: nil, [RouteTarget(providerName: offering[0].name, model: requested)])
        }
        if offering.count > 1 {
            let choices = offering.map { "'\($0.name)/\(requested)'" }.joined(separator: ", ")
            return .notFound("The model '\(requested)' is offered by several providers; ask for one of \(choices).")
        }
        return .notFound("The model '\(requested)' does not exist. GET /v1/models lists the names you can use.")
    }

    /// Every id a client can request: route names first, then `provider/model`, in config order.
    package var ids: [String] {
        configuration.routes.map(\.name) + configuration.providers.flatMap { provider in
            (modelsByProvider[provider.name] ?? []).map { "\(provider.name)/\($0)" }
        }
    }

    /// Ids with where each routes, for `localrouter models`.
    package var entries: [(id: String, ownedBy: String, targets: [String])] {
        configuration.routes.map { ($0.name, "localrouter", $0.targets.map(\.target)) }
            + configuration.providers.flatMap { provider in
                (modelsByProvider[provider.name] ?? []).map { ("\(provider.name)/\($0)", provider.name, ["\(provider.name)/\($0)"]) }
            }
    }

    private static func list(_ models: [String]) -> String {
        if models.isEmpty { return "no models" }
        let shown = models.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
        return models.count > 8 ? shown + " and \(models.count - 8) more" : shown
    }
}
