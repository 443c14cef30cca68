import Testing

@testable import RouterCore

@Suite struct ConfigPathsTests {
    private func resolve(
        explicit: String? = nil, _ environment: [String: String] = [:], existing: Set<String> = []
    ) -> ConfigPaths {
        ConfigPaths.resolve(
            explicitConfig: explicit, environment: environment, homeDirectory: "/home/ada",
            fileExists: { existing.contains($0) })
    }

    @Test func defaultsFollowXDG() {
        let paths = resolve()
        #expect(paths.configFile == nil)
        #expect(paths.userConfigFile == "/home/ada/.config/localrouter/config.yaml")
        #expect(paths.configSearchList == [
            "/home/ada/.config/localrouter/config.yaml", "/etc/xdg/localrouter/config.yaml",
        ])
        #expect(paths.dataDirectory == "/home/ada/.local/share/localrouter")
        #expect(paths.stateDirectory == "/home/ada/.local/state/localrouter")
        #expect(paths.logDirectory == "/home/ada/.local/state/localrouter/logs")
        #expect(paths.runtimeDirectory == "/home/ada/.local/state/localrouter")
        #expect(paths.masterKeyFile == "/home/ada/.local/share/localrouter/master.key")
        #expect(paths.keysFile == "/home/ada/.local/share/localrouter/keys.enc")
        #expect(paths.secretsFile == "/home/ada/.local/share/localrouter/secrets.enc")
    }

    @Test func firstExistingConfigWins() {
        let environment = ["XDG_CONFIG_HOME": "/cfg", "XDG_CONFIG_DIRS": "/a:/b/"]
        #expect(resolve(environment).configSearchList == [
            "/cfg/localrouter/config.yaml", "/a/localrouter/config.yaml", "/b/localrouter/config.yaml",
        ])
        #expect(resolve(environment, existing: ["/b/localrouter/config.yaml"]).configFile == "/b/localrouter/config.yaml")
        #expect(resolve(environment, existing: ["/b/localrouter/config.yaml", "/cfg/localrouter/config.yaml"]).configFile
            == "/cfg/localrouter/config.yaml")
        // `init` still writes the user's file, not the system one.
        #expect(resolve(environment, existing: ["/b/localrouter/config.yaml"]).userConfigFile == "/cfg/localrouter/config.yaml")
    }

    @Test func explicitConfigBeatsTheEnvironmentWhichBeatsXDG() {
        let existing: Set = ["/home/ada/.config/localrouter/config.yaml"]
        let environment = ["LOCALROUTER_CONFIG": "/env/config.yaml"]
        #expect(resolve(explicit: "/flag.yaml", environment, existing: existing).configFile == "/flag.yaml")
        #expect(resolve(explicit: "/flag.yaml", environment).userConfigFile == "/flag.yaml")
        // Named files are used even when missing, so the error names them.
        #expect(resolve(environment, existing: existing).configFile == "/env/config.yaml")
        #expect(resolve(environment).configSearchList == ["/env/config.yaml"])
        #expect(resolve(["LOCALROUTER_CONFIG": ""], existing: existing).configFile
            == "/home/ada/.config/localrouter/config.yaml")
    }

    @Test func relativeXDGPathsAreIgnored() {
        let paths = resolve([
            "XDG_CONFIG_HOME": "relative", "XDG_DATA_HOME": "data", "XDG_STATE_HOME": "./state",
            "XDG_RUNTIME_DIR": "run", "XDG_CONFIG_DIRS": "etc:/opt/xdg",
        ])
        #expect(paths.configSearchList == [
            "/home/ada/.config/localrouter/config.yaml", "/opt/xdg/localrouter/config.yaml",
        ])
        #expect(paths.dataDirectory == "/home/ada/.local/share/localrouter")
        #expect(paths.stateDirectory == "/home/ada/.local/state/localrouter")
        #expect(paths.runtimeDirectory == "/home/ada/.local/state/localrouter")
    }

    @Test func absoluteXDGPathsAreUsed() {
        let paths = resolve([
            "XDG_DATA_HOME": "/d", "XDG_STATE_HOME": "/s/", "XDG_RUNTIME_DIR": "/run/user/1000",
        ])
        #expect(paths.dataDirectory == "/d/localrouter")
        #expect(paths.stateDirectory == "/s/localrouter")
        #expect(paths.logDirectory == "/s/localrouter/logs")
        #expect(paths.runtimeDirectory == "/run/user/1000/localrouter")
    }
}
