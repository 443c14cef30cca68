import ArgumentParser
import RouterServer

/// The root command; main.swift runs it.
struct LocalRouterCommand: AsyncParsableCommand {
    static let version = RouterVersion.current

    static let configuration = CommandConfiguration(
        commandName: "localrouter",
        abstract: "A local-first LLM router: one OpenAI-compatible endpoint on localhost for all your providers.",
        version: "localrouter \(version)",
        subcommands: [
            ServeCommand.self, InitCommand.self, ConfigCommand.self, ModelsCommand.self, StatusCommand.self,
            KeysCommand.self, SecretsCommand.self, UsageCommand.self, ReloadCommand.self,
        ]
    )
}
