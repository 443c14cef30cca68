import ArgumentParser
import Foundation
import RouterCore
import RouterSecrets
import RouterServer

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter config for the providers found here, and create the master key.",
        discussion: """
            Looks for a local Ollama ($OLLAMA_HOST, else 127.0.0.1:11434) and for OPENAI_API_KEY, \
            ANTHROPIC_API_KEY, GEMINI_API_KEY and OPENROUTER_API_KEY in the environment, and writes a config \
            using them (keys as ${VAR} references, never their values) with a `default` fallback route. \
            Finding nothing, it writes the commented example config. \
            Changes nothing, and exits non-zero, if a config or master key already exists.
            """)

    @Option(name: .long, help: "Where to write the config (default: $XDG_CONFIG_HOME/localrouter/config.yaml).")
    var config: String?

    @Flag(name: .long, help: "Do not look for providers; write the commented example config.")
    var noDetect = false

    func run() async throws {
        let environment = CLIContext.environment
        let paths = CLIContext.paths(explicitConfig: config)
        let configFile = config ?? environment["LOCALROUTER_CONFIG"] ?? paths.userConfigFile
        let dataDirectory = URL(fileURLWithPath: paths.dataDirectory)
        let masterKeyFile = MasterKey.locate(environment: environment, dataDirectory: dataDirectory)

        let fileManager = FileManager.default
        var existing: [String] = []
        if fileManager.fileExists(atPath: configFile) { existing.append("config \(configFile)") }
        if fileManager.fileExists(atPath: masterKeyFile.path) { existing.append("master key \(masterKeyFile.path)") }
        guard existing.isEmpty else {
            throw CLIError("nothing changed: \(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : "")")
        }

        let detected: DetectedStarterConfig? =
            noDetect ? nil : DetectedStarterConfig(environment: environment, ollama: await OllamaProbe.find(environment: environment))
        let yaml: String
        if let detected, detected.foundAnything {
            yaml = detected.yaml
            // What init writes must load: a failure here is a bug in init, caught before the user sees it.
            do {
                _ = try ConfigLoader.parse(yaml: yaml, file: configFile, environment: environment)
            } catch {
                throw CLIError("internal error: the generated config is invalid:\n\(error.description)")
            }
        } else {
            yaml = StarterConfig.yaml
        }

        let configDirectory = (configFile as NSString).deletingLastPathComponent
        try fileManager.createDirectory(atPath: configDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: configFile), options: .withoutOverwriting)
        // The config's modeline points editors at a schema beside it.
        let schemaFile = configDirectory + "/config.schema.json"
        if !fileManager.fileExists(atPath: schemaFile) {
            try Data((ConfigSchema.json + "\n").utf8).write(to: URL(fileURLWithPath: schemaFile))
        }
        try MasterKey.create(at: masterKeyFile)

        let found = detected?.findings ?? []
        let variables = detected?.keyed.map(\.variable) ?? []
        var text = "Wrote \(configFile)\n"
        if found.isEmpty {
            text += noDetect ? "" : "Found no provider (no Ollama, no *_API_KEY variable): the config uses the offline mock provider.\n"
        } else {
            text += "Found:\n" + found.map { "  - \($0)\n" }.joined()
            text += "Route `default` tries them in that order, then the offline mock.\n"
        }
        text += "Created master key \(masterKeyFile.path) (mode 0600; back it up: it decrypts your keys and secrets)\n"
        text += """

            Next steps:
              1. Check the config (editors validate it against config.schema.json beside it):
                   localrouter config check
              2. Create a key for your editor or agent (shown once):
                   localrouter keys create my-editor
              3. Start the daemon:
                   systemctl --user daemon-reload && systemctl --user enable --now localrouter   (after scripts/install.sh)
                   localrouter serve                                                              (or in the foreground)
            """
        if !variables.isEmpty {
            let environmentFile = (configDirectory as NSString).appendingPathComponent("environment")
            text += """


                The systemd service does not see your shell's environment. Give it \(variables.joined(separator: ", ")) in
                \(environmentFile) (VAR=value lines, chmod 600), or store each key encrypted
                (`localrouter secrets set openai`) and use `api_key: secret:openai` in the config.
                """
        }
        print(text)
    }
}

/// Looks for a local Ollama the way its own CLI does: `$OLLAMA_HOST`, else 127.0.0.1:11434.
enum OllamaProbe {
    static let timeout: Duration = .milliseconds(300)

    /// The base URL and model names, or nil when nothing answered in time.
    static func find(environment: [String: String]) async -> (baseURL: String, models: [String])? {
        let baseURL = DetectedStarterConfig.ollamaBaseURL(ollamaHost: environment["OLLAMA_HOST"])
        let transport = UpstreamTransport()
        let models: [String]? = await withTaskGroup(of: [String]?.self) { group in
            group.addTask {
                do {
                    let response = try await transport.send(
                        method: .GET, url: baseURL + "/api/tags", headers: [("accept", "application/json")], body: nil, timeout: timeout)
                    let body = try await response.collectBody(limit: 4 << 20)
                    guard response.status == 200, let json = try? JSONValue.parse(body.readableBytesView) else { return nil }
                    return HealthCheckService.modelIDs(in: json)
                } catch {
                    return nil
                }
            }
            // The whole probe, body included, is bounded: init must not stall on a wedged port.
            group.addTask {
                try? await Task.sleep(for: timeout + .milliseconds(100))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        await transport.shutdown()
        return models.map { (baseURL, $0) }
    }
}
