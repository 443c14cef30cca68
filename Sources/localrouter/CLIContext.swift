import ArgumentParser
import Foundation
import RouterCore

/// `--config`, shared by every command that reads the config.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $LOCALROUTER_CONFIG, then the XDG config dirs).")
    var config: String?

    var paths: ConfigPaths { CLIContext.paths(explicitConfig: config) }

    /// Loads and validates the config, or prints every problem and exits non-zero.
    func loadConfiguration() throws -> (Configuration, path: String) {
        let paths = self.paths
        guard let path = paths.configFile else {
            throw CLIError(
                "no config file found (looked in \(paths.configSearchList.joined(separator: ", "))); run `localrouter init` or pass --config"
            )
        }
        return (try CLIContext.loadConfiguration(at: path), path)
    }
}

enum CLIContext {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static var homeDirectory: String {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    static func paths(explicitConfig: String?) -> ConfigPaths {
        ConfigPaths.resolve(
            explicitConfig: explicitConfig,
            environment: environment,
            homeDirectory: homeDirectory,
            fileExists: { FileManager.default.fileExists(atPath: $0) }
        )
    }

    static func loadConfiguration(at path: String) throws -> Configuration {
        do {
            return try ConfigLoader.load(path: path, environment: environment)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }
}

/// A one-line reason for a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
