import Foundation
import Synchronization
import Testing

@Suite("CLI and daemon together: keys take effect live, nothing leaks")
struct CLIDaemonTests {
    @Test func withoutAnyKeysTheDaemonStartsRefusesAndPicksUpTheFirstKey() async throws {
        let sandbox = try CLISandbox()
        try sandbox.writeConfig(sandboxConfig)
        let daemon = try await DaemonProcess.start(in: sandbox)
        defer { daemon.stop() }
        #expect(try await daemon.request("/health").status == 200)
        #expect(try await daemon.request("/v1/models").status == 401)

        // `init` and `keys create` while it runs: no restart needed.
        #expect(try sandbox.run(["init", "--config", sandbox.root.appendingPathComponent("other.yaml").path]).status == 0)
        let key = try sandbox.run(["keys", "create", "first"], secretOutput: true).lastLine
        let elapsed = try await daemon.timeUntil(200, key: key)
        #expect(elapsed.map { $0 < .seconds(2) } == true, "took \(String(describing: elapsed))")

        let output = daemon.stop()
        #expect(output.status == 0)
        #expect(output.stderr.contains("localrouter keys create NAME"), "the start-up hint")
    }

    @Test func anExposedMasterKeyStopsServeNamingTheFix() throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        try sandbox.writeConfig(sandboxConfig)
        chmod(sandbox.masterKeyFile.path, 0o644)
        let output = try sandbox.run(["serve", "--listen", "127.0.0.1:0"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("chmod 600 \(sandbox.masterKeyFile.path)"), "\(output.stderr)")
    }

    @Test func liveKeyChangesConcurrentCreatesAndNoSecretInAnyOutput() async throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        try sandbox.writeConfig(sandboxConfig)
        let upstreamSecret = "sk-upstream-do-not-leak-7f3a9c"
        #expect(try sandbox.run(["secrets", "set", "upstream"], stdin: upstreamSecret + "\n").status == 0)
        var keys: [String] = []
        func create(_ arguments: [String]) throws -> String {
            let output = try sandbox.run(["keys", "create"] + arguments, secretOutput: true)
            #expect(output.status == 0, "\(output.stderr)")
            keys.append(output.lastLine)
            return output.lastLine
        }
        let limited = try create(["limited", "--models", "mock/*"])
        let full = try create(["full"])

        let daemon = try await DaemonProcess.start(in: sandbox)
        var timings: [String: Duration] = [:]
        func expectWithinTwoSeconds(_ status: Int, _ key: String, _ change: String) async throws {
            let elapsed = try await daemon.timeUntil(status, key: key)
            #expect(elapsed.map { $0 < .seconds(2) } == true, "\(change): \(String(describing: elapsed))")
            timings[change] = elapsed
        }

        // Both headers; globs filter /v1/models and refuse other models; Anthropic's error shape on /v1/messages.
        let models = try await daemon.request("/v1/models", key: limited)
        let listed = (try JSONSerialization.jsonObject(with: Data(models.body.utf8)) as? [String: Any])?["data"] as? [[String: Any]]
        #expect(models.status == 200 && listed?.compactMap { $0["id"] as? String } == ["mock/echo"], "\(models)")
        let chat = #"{"model":"mock/echo","messages":[{"role":"user","content":"ping"}]}"#
        #expect(try await daemon.request("/v1/chat/completions", key: limited, header: "x-api-key", json: chat).status == 200)
        #expect(try await daemon.request("/v1/chat/completions", key: limited, json: #"{"model":"dead/m","messages":[]}"#).status == 403)
        let anthropic = try await daemon.request("/v1/messages", key: "lr-wrong", header: "x-api-key", json: #"{"model":"mock/echo","max_tokens":5,"messages":[]}"#)
        #expect(anthropic.status == 401 && anthropic.body.contains("authentication_error"))
        // The upstream secret is used (and refused by nobody listening); the error must not show it.
        let failed = try await daemon.request("/v1/chat/completions", key: full, json: #"{"model":"dead/m","messages":[]}"#)
        #expect(failed.status == 502)

        #expect(try sandbox.run(["keys", "revoke", "limited"]).status == 0)
        try await expectWithinTwoSeconds(401, limited, "revoke")

        let rotated = try sandbox.run(["keys", "rotate", "full"], secretOutput: true).lastLine
        keys.append(rotated)
        try await expectWithinTwoSeconds(200, rotated, "rotate")
        #expect(try await daemon.request("/v1/models", key: full).status == 401, "the old secret is gone")
        #expect(try sandbox.run(["keys", "disable", "full"]).status == 0)
        try await expectWithinTwoSeconds(401, rotated, "disable")
        #expect(try sandbox.run(["keys", "enable", "full"]).status == 0)
        try await expectWithinTwoSeconds(200, rotated, "enable")

        // Six separate `keys create` processes at once while the daemon serves and reloads: none lost.
        let stopLoad = Atomic<Bool>(false)
        let load = Task {
            var served = 0
            while !stopLoad.load(ordering: .relaxed) {
                if try await daemon.request("/v1/models", key: rotated).status == 200 { served += 1 }
            }
            return served
        }
        let launched = try (1...6).map { try sandbox.launch(["keys", "create", "worker-\($0)"]) }
        for process in launched { process.process.waitUntilExit() }
        let outputs = launched.map { sandbox.finish($0, secretOutput: true) }
        for output in outputs {
            #expect(output.status == 0, "\(output.stderr)")
            #expect(isKey(output.lastLine))
            keys.append(output.lastLine)
        }
        let names = Set(try sandbox.listKeys().compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: (1...6).map { "worker-\($0)" }), "\(names)")
        for output in outputs {
            try await expectWithinTwoSeconds(200, output.lastLine, "concurrent create")
        }
        stopLoad.store(true, ordering: .relaxed)
        let servedDuringCreates = try await load.value
        #expect(servedDuringCreates > 0)

        // (Expiry against a running daemon is covered in-process with an injected clock: AuthMiddlewareTests.)
        let stopped = daemon.stop()
        #expect(stopped.status == 0, "clean exit on SIGTERM: \(stopped.stderr.suffix(2000))")
        print("CLI live key changes picked up after: " + timings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))

        // Last-used times reach keys.enc (batched; the final flush runs at shutdown).
        let full_ = try #require(try sandbox.listKeys().first { $0["name"] as? String == "full" })
        #expect(full_["last_used_at"] as? String != nil)

        // The access log names keys by name.
        let written = sandbox.everythingWritten()
        #expect(written.contains(#""key":"full""#))
        // The capture holds what is being searched: the daemon's log, error bodies, CLI output.
        #expect(written.contains("listening on http://127.0.0.1:") && written.contains(failed.body) && written.contains("Revoked key 'limited'"))
        // main.swift's executor hook is in place: the daemon's tasks run on its event loops.
        #expect(!written.contains("not running on the event loops"))

        // No key, no upstream secret and no master key in anything the CLI or the daemon wrote.
        let masterKeyText = try String(contentsOf: sandbox.masterKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(keys.count == 9)
        for key in keys {
            #expect(!written.contains(key), "an lr- key leaked")
            #expect(!written.contains(String(key.dropFirst(3))), "an lr- key's body leaked")
        }
        #expect(!written.contains(upstreamSecret), "the upstream secret leaked")
        #expect(!written.contains(masterKeyText), "the master key leaked")
        #expect(!written.contains("$2b$"), "a key hash leaked")
    }
}
