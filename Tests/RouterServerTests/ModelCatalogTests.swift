import RouterCore
import Testing

@testable import RouterServer

@Suite struct ModelCatalogTests {
    private var catalog: ModelCatalog {
        var configuration = Configuration()
        var listed = ProviderSettings(name: "a", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
        listed.models = ["m", "only-a"]
        let discovered = ProviderSettings(name: "b", type: .openaiCompatible, baseURL: "http://127.0.0.1:1/v1")
        configuration.providers = [listed, discovered]
        configuration.routes = [RouteSettings(name: "r", targets: [RouteTarget(target: "a/m"), RouteTarget(target: "b/m")])]
        return ModelCatalog(configuration: configuration, discoveredModels: ["b": ["m"]])
    }

    @Test func listedIdsAndOthersResolveAsTheyAlwaysDid() {
        let catalog = catalog
        #expect(catalog.ids == ["r", "a/m", "a/only-a", "b/m"])
        guard case .targets(let route, let targets) = catalog.resolve("r") else { Issue.record("r"); return }
        #expect(route?.name == "r" && targets.map(\.target) == ["a/m", "b/m"])
        guard case .targets(nil, let direct) = catalog.resolve("b/m") else { Issue.record("b/m"); return }
        #expect(direct.map(\.target) == ["b/m"])
        // Not among the ids: still resolved, on request.
        guard case .targets(nil, let bare) = catalog.resolve("only-a") else { Issue.record("only-a"); return }
        #expect(bare.map(\.target) == ["a/only-a"])
        guard case .notFound = catalog.resolve("m") else { Issue.record("m is offered by two providers"); return }
        guard case .notFound = catalog.resolve("a/nope") else { Issue.record("a/nope"); return }
    }

    @Test func listsAnswersForExactlyTheIds() {
        let catalog = catalog
        for id in catalog.ids { #expect(catalog.lists(id)) }
        for id in ["only-a", "m", "a/nope", "R", ""] { #expect(!catalog.lists(id)) }
    }
}
