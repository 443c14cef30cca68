import ArgumentParser
import Foundation
import RouterCore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the config, show where files live, print the config's JSON Schema.",
        subcommands: [Check.self, Path.self, Schema.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a config; print every problem as FILE:LINE:COLUMN: message.")

        @Argument(help: "Config file (default: the one `serve` would use).")
        var path: String?

        func run() throws {
            let file = try path ?? CLIContext.paths(explicitConfig: nil).configFile ?? {
                throw CLIError("no config file found; pass a path or run `localrouter init`")
            }()
            let configuration = try CLIContext.loadConfiguration(at: file)
            print("\(file): OK (\(configuration.providers.count) providers, \(configuration.routes.count) routes)")
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the config, data, state and runtime locations.")

        @OptionGroup var options: ConfigOption

        func run() {
            let paths = options.paths
            print("config:  \(paths.configFile ?? "\(paths.userConfigFile) (not created yet)")")
            print("data:    \(paths.dataDirectory)")
            print("state:   \(paths.stateDirectory)")
            print("logs:    \(paths.logDirectory)")
            print("runtime: \(paths.runtimeDirectory)")
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the JSON Schema of config.yaml (for editors' YAML language servers).")

        func run() {
            print(ConfigSchema.json)
        }
    }
}
