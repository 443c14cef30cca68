import AsyncHTTPClient
import Foundation
import NIOCore
import RouterCore
import Testing

/// `localrouter status` and `localrouter models`, run as the built binary against a real
/// `localrouter serve` process.
@Suite("localrouter status and models (real processes)")
struct RoutingStatusCommandTests {
    static let binary = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/localrouter").path

    /// A port nobody listens on right now (bound, read, released).
    /// A free port below the kernel's ephemeral range (32768+), so no test that binds port 0
    /// can be handed it between our check and the daemon's bind.
    static func freePort() throws -> Int {
        for _ in 0..<100 {
            let candidate = Int.random(in: 20_000..<32_000)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(candidate).bigEndian
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 }
            }
            if bound { return candidate }
        }
        throw CocoaError(.fileWriteUnknown)
    }

    struct Workspace {
        let directory: URL
        let config: String
        let port: Int
        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = directory.path
            environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("config").path
            environment["XDG_DATA_HOME"] = directory.appendingPathComponent("data").path
            environment["XDG_STATE_HOME"] = directory.appendingPathComponent("state").path
            environment["XDG_RUNTIME_DIR"] = directory.appendingPathComponent("run").path
            environment["LOCALROUTER_CONFIG"] = nil
            return environment
        }
    }

    static func workspace() throws -> Workspace {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lr-status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try freePort()
        let config = directory.appendingPathComponent("config.yaml").path
        try """
            version: 1
            server:
              listen: 127.0.0.1:\(port)
            providers:
              mock:
                type: mock
                models: [echo]
              dead:
                type: openai-compatible
                base_url: http://127.0.0.1:1/v1
                models: [gpt-4.1-mini]
            routes:
              smart:
                strategy: round-robin
                targets: [dead/gpt-4.1-mini, mock/echo]
              spread:
                strategy: weighted
                targets:
                  - { target: mock/echo, weight: 3 }
                  - { target: dead/gpt-4.1-mini, weight: 1 }
            health:
              interval: 30s
              failure_threshold: 1
            logging:
              access_log: false
            """.write(toFile: config, atomically: true, encoding: .utf8)
        return Workspace(directory: directory, config: config, port: port)
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], in workspace: Workspace) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = workspace.environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func statusAsksTheRunningDaemonAndFailsInOneLineWhenItIsNotRunning() async throws {
        let workspace = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: workspace.directory) }

        let stopped = try Self.run(["status", "--config", workspace.config], in: workspace)
        #expect(stopped.status != 0)
        #expect(stopped.stdout.isEmpty)
        #expect(stopped.stderr.split(separator: "\n").count == 1)
        #expect(stopped.stderr.contains("not answering at http://127.0.0.1:\(workspace.port)"))

        // Every /v1 request needs a client key: make one the way a user would.
        let initialised = try Self.run(["init", "--config", workspace.directory.appendingPathComponent("init.yaml").path], in: workspace)
        try #require(initialised.status == 0, "\(initialised.stderr)")
        let created = try Self.run(["keys", "create", "status-test"], in: workspace)
        try #require(created.status == 0, "\(created.stderr)")
        let key = String(created.stdout.split(separator: "\n").last ?? "")

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Self.binary)
        daemon.arguments = ["serve", "--config", workspace.config]
        daemon.environment = workspace.environment
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }
        let base = "http://127.0.0.1:\(workspace.port)"
        let deadline = ContinuousClock.now + .seconds(10)
        var ready = false
        while !ready, ContinuousClock.now < deadline {
            ready = (try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(1)).status.code) == 200
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(ready, "the daemon did not start")
        print("daemon ready in \(ContinuousClock.now - (deadline - .seconds(10)))")

        // One request that falls back from the dead target to the mock; the health check at start
        // has opened the dead target's circuit (threshold 1), or this request does.
        var request = HTTPClientRequest(url: base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        request.body = .bytes(ByteBuffer(string: #"{"model":"smart","messages":[{"role":"user","content":"hi"}]}"#))
        let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        #expect(answer.status.code == 200)
        _ = try await answer.body.collect(upTo: 1 << 20)

        let text = try Self.run(["status", "--config", workspace.config], in: workspace)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("localrouter 0.1.0 listening on 127.0.0.1:\(workspace.port), up ") == true)
        #expect(lines.first?.hasSuffix(", 1 request served") == true)
        #expect(lines.contains("config: \(workspace.config)"))
        #expect(lines.contains { $0.hasPrefix("PROVIDER") && $0.contains("HEALTH") && $0.contains("LAST ERROR") })
        #expect(lines.contains { $0.hasPrefix("mock ") && $0.contains("healthy") })
        #expect(lines.contains { $0.hasPrefix("dead ") && $0.contains("unhealthy") && $0.contains("connection") })
        #expect(lines.contains { $0.hasPrefix("TARGET") && $0.contains("CIRCUIT") && $0.contains("TTFB EWMA") && $0.contains("IN FLIGHT") })
        #expect(lines.contains { $0.hasPrefix("dead/gpt-4.1-mini ") && $0.contains("open (probe in") })
        #expect(lines.contains { $0.hasPrefix("mock/echo ") && $0.contains("closed") })

        let json = try Self.run(["status", "--json", "--config", workspace.config], in: workspace)
        #expect(json.status == 0)
        let report = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(report["requests_served"]?.intValue == 1)
        #expect(report["config_file"]?.stringValue == workspace.config)
        #expect(report["providers"]?.arrayValue?.count == 2)

        let stopping = ContinuousClock.now
        daemon.terminate()
        daemon.waitUntilExit()
        print("daemon stopped in \(ContinuousClock.now - stopping)")
        let after = try Self.run(["status", "--config", workspace.config], in: workspace)
        #expect(after.status != 0)
    }

    @Test func modelsShowsEachRoutesStrategyAndTargets() throws {
        let workspace = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: workspace.directory) }
        let outcome = try Self.run(["models", "--config", workspace.config], in: workspace)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.first == "MODEL STRATEGY ROUTES TO")
        #expect(lines.contains("smart round-robin dead/gpt-4.1-mini, mock/echo"))
        #expect(lines.contains("spread weighted mock/echo (weight 3), dead/gpt-4.1-mini (weight 1)"))
        #expect(lines.contains("mock/echo direct mock/echo"))
    }
}
