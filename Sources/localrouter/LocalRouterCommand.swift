import ArgumentParser

@main
struct LocalRouterCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "localrouter",
        abstract: "A local-first LLM router: one OpenAI-compatible endpoint on localhost for all your providers.",
        version: "localrouter \(version)",
        subcommands: [
            ServeCommand.self, InitCommand.self, ConfigCommand.self, ModelsCommand.self, ReloadCommand.self,
        ]
    )
}
