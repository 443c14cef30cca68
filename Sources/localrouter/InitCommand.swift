import ArgumentParser
import Foundation
import RouterCore
import RouterSecrets

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter config and create the master key.",
        discussion: "Changes nothing, and exits non-zero, if a config or master key already exists.")

    @Option(name: .long, help: "Where to write the config (default: $XDG_CONFIG_HOME/localrouter/config.yaml).")
    var config: String?

    func run() throws {
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

        let configDirectory = (configFile as NSString).deletingLastPathComponent
        try fileManager.createDirectory(atPath: configDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(StarterConfig.yaml.utf8).write(to: URL(fileURLWithPath: configFile), options: .withoutOverwriting)
        // The config's modeline points editors at a schema beside it.
        let schemaFile = configDirectory + "/config.schema.json"
        if !fileManager.fileExists(atPath: schemaFile) {
            try Data((ConfigSchema.json + "\n").utf8).write(to: URL(fileURLWithPath: schemaFile))
        }
        try MasterKey.create(at: masterKeyFile)

        print("""
            Wrote \(configFile)
            Created master key \(masterKeyFile.path) (mode 0600; back it up: it decrypts your keys and secrets)

            Next steps:
              1. Edit the config (your editor validates it against config.schema.json), then:
                   localrouter config check
              2. Store upstream API keys encrypted, e.g.:
                   localrouter secrets set openai        (reads the key from stdin)
              3. Create a key for your editor or agent:
                   localrouter keys create my-editor
              4. Start the daemon:
                   systemctl --user enable --now localrouter     (after scripts/install.sh)
                   localrouter serve                             (or in the foreground)
            """)
    }
}
