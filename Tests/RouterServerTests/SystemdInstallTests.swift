import Foundation
import RouterCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("install.sh and uninstall.sh")
struct SystemdInstallTests {
    static var scripts: URL { BuiltProducts.repositoryRoot.appendingPathComponent("scripts") }

    static func script(_ name: String, _ arguments: [String], home: TemporaryHome) async throws -> CommandResult {
        // No user manager here or in CI: the scripts must print the systemctl line, not run it.
        try await runCommand("/bin/bash", [scripts.appendingPathComponent(name).path] + arguments, environment: home.environment())
    }

    @Test("install into a temporary HOME, again (idempotent), then uninstall twice keeping the data")
    func installAndUninstall() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let binary = home.path + "/.local/bin/localrouter"
        let unit = home.path + "/.config/systemd/user/localrouter.service"

        let first = try await Self.script("install.sh", ["--binary", BuiltProducts.localrouter], home: home)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        #expect(FileManager.default.contentsEqual(atPath: binary, andPath: BuiltProducts.localrouter))
        let shipped = try String(contentsOf: BuiltProducts.repositoryRoot.appendingPathComponent("systemd/localrouter.service"), encoding: .utf8)
        #expect(try String(contentsOfFile: unit, encoding: .utf8) == shipped)
        #expect(first.standardOutput.contains("systemctl --user daemon-reload && systemctl --user enable --now localrouter"))
        // init ran: a config that loads, and the master key.
        #expect(first.standardOutput.contains("Wrote \(home.configFile)"))
        _ = try ConfigLoader.load(path: home.configFile, environment: home.environment())
        let masterKey = home.path + "/.local/share/localrouter/master.key"
        #expect(FileManager.default.fileExists(atPath: masterKey))

        // The installed unit passes systemd's own checks, with %h resolving into this HOME.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verify = try await runCommand("/usr/bin/systemd-analyze", ["verify", "--user", unit], environment: home.environment())
            #expect(verify.status == 0 && verify.standardError.isEmpty, "systemd-analyze verify: \(verify.standardError)")
        }

        // Again: nothing changes, the config is not rewritten, init is not re-run.
        let configBefore = try Data(contentsOf: URL(fileURLWithPath: home.configFile))
        let second = try await Self.script("install.sh", ["--binary", BuiltProducts.localrouter], home: home)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardError.contains("unchanged: \(binary)") && second.standardError.contains("unchanged: \(unit)"))
        #expect(second.standardError.contains("config exists: \(home.configFile)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: home.configFile)) == configBefore)

        // An enable link left behind by `systemctl --user enable` goes too.
        let wants = home.path + "/.config/systemd/user/default.target.wants"
        try FileManager.default.createDirectory(atPath: wants, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: wants + "/localrouter.service", withDestinationPath: unit)

        let removed = try await Self.script("uninstall.sh", [], home: home)
        #expect(removed.status == 0, "\(removed.standardError)")
        for path in [binary, unit, wants + "/localrouter.service"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil && !FileManager.default.fileExists(atPath: path))
        }
        #expect(FileManager.default.fileExists(atPath: home.configFile) && FileManager.default.fileExists(atPath: masterKey), "data is kept")
        #expect(removed.standardOutput.contains(home.configFile))

        let again = try await Self.script("uninstall.sh", [], home: home)
        #expect(again.status == 0, "\(again.standardError)")
    }

    @Test("--prefix installs elsewhere and points the unit's ExecStart there")
    func prefix() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let prefix = home.path + "/opt"
        let result = try await Self.script("install.sh", ["--binary", BuiltProducts.localrouter, "--prefix", prefix, "--no-init"], home: home)
        #expect(result.status == 0, "\(result.standardError)")
        let unit = try String(contentsOfFile: home.path + "/.config/systemd/user/localrouter.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=\(prefix)/bin/localrouter serve\n"))
        #expect(!FileManager.default.fileExists(atPath: home.configFile), "--no-init")
        #expect(result.standardOutput.contains("\(prefix)/bin is not on your PATH"))
        #expect(try await Self.script("uninstall.sh", ["--prefix", prefix], home: home).status == 0)
        #expect(!FileManager.default.fileExists(atPath: prefix + "/bin/localrouter"))
    }
}
