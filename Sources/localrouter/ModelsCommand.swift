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
        let width = max(entries.map(\.id.count).max() ?? 0, 4)
        print("MODEL".padding(toLength: width, withPad: " ", startingAt: 0) + "  ROUTES TO")
        for entry in entries {
            print(entry.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + entry.targets.joined(separator: ", "))
        }
        let undiscovered = configuration.providers.filter { catalog.models(of: $0.name) == nil }.map(\.name)
        if !undiscovered.isEmpty {
            print("\n(\(undiscovered.joined(separator: ", ")): models are discovered from the provider by the running daemon; any `provider/model` is passed on)")
        }
    }
}
