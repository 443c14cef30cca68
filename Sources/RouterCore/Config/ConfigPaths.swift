/// Where LocalRouter's files live (SPEC §1, XDG Base Directory spec), resolved from an
/// environment without touching the disk except through `fileExists`.
package struct ConfigPaths: Sendable, Equatable {
    /// The config to load: `--config`, else `$LOCALROUTER_CONFIG`, else the first of the
    /// XDG locations that exists; nil when none does.
    package var configFile: String?
    /// Where `init` writes a new config: `--config`, else `$LOCALROUTER_CONFIG`, else
    /// `$XDG_CONFIG_HOME/localrouter/config.yaml`.
    package var userConfigFile: String
    /// Every place looked at for the config, in order.
    package var configSearchList: [String]
    /// `$XDG_DATA_HOME/localrouter`: `keys.enc`, `secrets.enc`, `master.key`.
    package var dataDirectory: String
    /// `$XDG_STATE_HOME/localrouter`: logs and persisted limit counters.
    package var stateDirectory: String
    /// `<state>/logs`: the access logs.
    package var logDirectory: String
    /// `$XDG_RUNTIME_DIR/localrouter`, or the state directory without a runtime dir.
    package var runtimeDirectory: String

    package var masterKeyFile: String { dataDirectory + "/master.key" }
    package var keysFile: String { dataDirectory + "/keys.enc" }
    package var secretsFile: String { dataDirectory + "/secrets.enc" }

    package static let applicationName = "localrouter"
    package static let configFileName = "config.yaml"
    package static let environmentVariable = "LOCALROUTER_CONFIG"

    package static func resolve(
        explicitConfig: String?,
        environment: [String: String],
        homeDirectory: String,
        fileExists: (String) -> Bool
    ) -> ConfigPaths {
        let home =
            homeDirectory.count > 1 && homeDirectory.hasSuffix("/") ? String(homeDirectory.dropLast()) : homeDirectory
        // XDG: relative paths in these variables are invalid and must be ignored.
        func base(_ variable: String, default fallback: String) -> String {
            guard let value = environment[variable], value.hasPrefix("/") else { return fallback }
            return value
        }
        func join(_ directory: String, _ rest: String) -> String {
            directory.hasSuffix("/") ? directory + rest : directory + "/" + rest
        }

        let userConfigFile = join(
            base("XDG_CONFIG_HOME", default: join(home, ".config")), "\(applicationName)/\(configFileName)")
        let systemDirectories: [String] = {
            guard let list = environment["XDG_CONFIG_DIRS"], !list.isEmpty else { return ["/etc/xdg"] }
            return list.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        }()
        let xdgCandidates =
            [userConfigFile] + systemDirectories.map { join($0, "\(applicationName)/\(configFileName)") }

        let chosen: String?
        let searchList: [String]
        let writable: String
        let named = [explicitConfig, environment[environmentVariable]].compactMap { $0 }.first { !$0.isEmpty }
        if let explicit = named {
            // Named on purpose: used even if missing, so the error names that file.
            chosen = explicit
            searchList = [explicit]
            writable = explicit
        } else {
            chosen = xdgCandidates.first(where: fileExists)
            searchList = xdgCandidates
            writable = userConfigFile
        }

        let dataDirectory = join(base("XDG_DATA_HOME", default: join(home, ".local/share")), applicationName)
        let stateDirectory = join(base("XDG_STATE_HOME", default: join(home, ".local/state")), applicationName)
        let runtimeDirectory =
            environment["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? join($0, applicationName) : nil }
            ?? stateDirectory
        return ConfigPaths(
            configFile: chosen,
            userConfigFile: writable,
            configSearchList: searchList,
            dataDirectory: dataDirectory,
            stateDirectory: stateDirectory,
            logDirectory: join(stateDirectory, "logs"),
            runtimeDirectory: runtimeDirectory)
    }
}
