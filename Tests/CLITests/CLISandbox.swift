import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A temporary HOME with every XDG directory inside it, where the built `localrouter` binary runs
/// as a user would run it. Everything the CLI and the daemon write to stdout and stderr is kept,
/// so a test can search all of it for secrets.
final class CLISandbox: Sendable {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Tests/CLITests/CLISandbox.swift -> the package root.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = product("localrouter")

    /// A product of the debug build.
    static func product(_ name: String) -> URL { packageRoot.appendingPathComponent(".build/debug/\(name)") }

    let root: URL
    let environment: [String: String]
    private let captured = Mutex<[String]>([])
    private let counter = Atomic<Int>(0)

    var dataDirectory: URL { root.appendingPathComponent("data/localrouter") }
    var keysFile: URL { dataDirectory.appendingPathComponent("keys.enc") }
    var masterKeyFile: URL { dataDirectory.appendingPathComponent("master.key") }
    var configFile: URL { root.appendingPathComponent("config/localrouter/config.yaml") }
    var logDirectory: URL { root.appendingPathComponent("state/localrouter/logs") }

    init() throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cli-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("out"), withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LOCALROUTER_") && !$0.key.hasPrefix("XDG_") }
        environment["CREDENTIALS_DIRECTORY"] = nil
        environment["HOME"] = root.path
        environment["XDG_CONFIG_HOME"] = root.appendingPathComponent("config").path
        environment["XDG_DATA_HOME"] = root.appendingPathComponent("data").path
        environment["XDG_STATE_HOME"] = root.appendingPathComponent("state").path
        environment["XDG_RUNTIME_DIR"] = root.appendingPathComponent("runtime").path
        self.environment = environment
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// Runs `localrouter ARGS` to completion. `secretOutput`: the output is expected to hold a
    /// secret (the key `create` and `rotate` print) and is left out of `everythingWritten`.
    @discardableResult
    func run(
        _ arguments: [String], stdin: String? = nil, secretOutput: Bool = false, executable: URL = binary,
        extraEnvironment: [String: String] = [:]
    ) throws -> Output {
        let process = try launch(arguments, stdin: stdin, executable: executable, extraEnvironment: extraEnvironment)
        process.process.waitUntilExit()
        return finish(process, secretOutput: secretOutput)
    }

    struct Launched: @unchecked Sendable {
        let process: Process
        let stdoutFile: URL
        let stderrFile: URL
    }

    /// Starts `localrouter ARGS` (or another product), output going to files (pipes could fill up and block it).
    func launch(
        _ arguments: [String], stdin: String? = nil, executable: URL = binary, extraEnvironment: [String: String] = [:]
    ) throws -> Launched {
        let number = counter.add(1, ordering: .relaxed).newValue
        let stdoutFile = root.appendingPathComponent("out/\(number).stdout")
        let stderrFile = root.appendingPathComponent("out/\(number).stderr")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment.merging(extraEnvironment) { _, extra in extra }
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        if let stdin {
            let input = root.appendingPathComponent("out/\(number).stdin")
            try Data(stdin.utf8).write(to: input)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return Launched(process: process, stdoutFile: stdoutFile, stderrFile: stderrFile)
    }

    func finish(_ launched: Launched, secretOutput: Bool = false) -> Output {
        let stdout = (try? String(contentsOf: launched.stdoutFile, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: launched.stderrFile, encoding: .utf8)) ?? ""
        captured.withLock { texts in
            if !secretOutput { texts.append(stdout) }
            texts.append(stderr)
        }
        return Output(status: launched.process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Adds text the daemon sent over HTTP, for the leak check.
    func capture(_ text: String) {
        captured.withLock { $0.append(text) }
    }

    /// Every stdout/stderr byte captured so far (minus the outputs that show a key once), plus the access logs.
    func everythingWritten() -> String {
        var texts = captured.withLock { $0 }
        if let logs = try? FileManager.default.contentsOfDirectory(at: logDirectory, includingPropertiesForKeys: nil) {
            texts += logs.compactMap { try? String(contentsOf: $0, encoding: .utf8) }
        }
        return texts.joined(separator: "\n")
    }

    func writeConfig(_ yaml: String) throws {
        try FileManager.default.createDirectory(at: configFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(yaml.utf8).write(to: configFile)
    }

    /// `keys list --json`, parsed.
    func listKeys() throws -> [[String: Any]] {
        let output = try run(["keys", "list", "--json"])
        guard output.status == 0, let array = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]] else {
            throw SandboxError("keys list --json failed: \(output.stderr)")
        }
        return array
    }
}

struct SandboxError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A config with the offline mock provider and an upstream that refuses connections, whose key
/// comes from `secrets.enc`; debug logging so the leak check sees as much as the daemon can write.
let sandboxConfig = """
    version: 1
    server:
      listen: 127.0.0.1:3625
    providers:
      mock:
        type: mock
        models: [echo]
      dead:
        type: openai-compatible
        base_url: http://127.0.0.1:9/v1
        api_key: secret:upstream
        models: [m]
        timeout: 2s
    logging:
      level: debug
    """
