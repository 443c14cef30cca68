import ArgumentParser
import RouterCore
import RouterServer

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model names clients can request, and where each routes.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let (configuration, _) = try options.loadConfiguration()
        let catalog = ModelCatalog(configuration: configuration, discoveredModels: [:])
        let entries = catalog.entries
        let width = max(entries.map(\.id.count).max() ?? 0, 5)
        let strategies = entries.map { configuration.route(named: $0.id).map { $0.strategy.rawValue } ?? "direct" }
        let strategyWidth = max(strategies.map(\.count).max() ?? 0, 8)
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        print(pad("MODEL", width) + "  " + pad("STRATEGY", strategyWidth) + "  ROUTES TO")
        for (entry, strategy) in zip(entries, strategies) {
            let targets = entry.targets.enumerated().map { index, target in
                // Weights matter only to `weighted`; show them there.
                guard let route = configuration.route(named: entry.id), route.strategy == .weighted else { return target }
                return "\(target) (weight \(route.targets[index].weight.formatted()))"
            }
            print(pad(entry.id, width) + "  " + pad(strategy, strategyWidth) + "  " + targets.joined(separator: ", "))
        }
        let undiscovered = configuration.providers.filter { catalog.models(of: $0.name) == nil }.map(\.name)
        if !undiscovered.isEmpty {
            print("\n(\(undiscovered.joined(separator: ", ")): models are discovered from the provider by the running daemon; any `provider/model` is passed on)")
        }
    }
}
