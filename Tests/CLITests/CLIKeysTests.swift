import Foundation
import RouterSecrets
import Testing

/// `lr-` + 43 base64url characters.
func isKey(_ text: String) -> Bool {
    text.range(of: #"^lr-[A-Za-z0-9_-]{43}$"#, options: .regularExpression) != nil
}

func expectOneLineError(_ output: CLISandbox.Output, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(output.status != 0, sourceLocation: sourceLocation)
    let lines = output.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(output.stderr)", sourceLocation: sourceLocation)
    #expect(output.stderr.contains(fragment), "stderr: \(output.stderr)", sourceLocation: sourceLocation)
}

@Suite("CLI: localrouter keys")
struct CLIKeysTests {
    @Test func beforeInitKeysAndSecretsSayToRunInitAndCreateNothing() throws {
        let sandbox = try CLISandbox()
        let create = try sandbox.run(["keys", "create", "editor"])
        expectOneLineError(create, containing: "localrouter init")
        #expect(create.stdout.isEmpty)
        let secret = try sandbox.run(["secrets", "set", "openai"], stdin: "sk-test\n")
        expectOneLineError(secret, containing: "localrouter init")
        #expect(!FileManager.default.fileExists(atPath: sandbox.masterKeyFile.path), "no master key made behind the user's back")
        #expect(!FileManager.default.fileExists(atPath: sandbox.keysFile.path))

        let list = try sandbox.run(["keys", "list"])
        #expect(list.status == 0 && list.stdout.contains("No keys yet"))
        #expect(try sandbox.listKeys().isEmpty)
        #expect(try sandbox.run(["secrets", "list"]).status == 0)
    }

    @Test func createListRotateDisableEnableRevoke() throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)

        let created = try sandbox.run(
            ["keys", "create", "editor", "--models", "mock/*", "--models", "smart", "--rpm", "60", "--tpm", "1000", "--budget", "5",
             "--per", "day", "--expires", "30d"], secretOutput: true)
        #expect(created.status == 0, "\(created.stderr)")
        let editorKey = created.lastLine
        #expect(isKey(editorKey), "the key alone on the last line")
        #expect(created.stdout.components(separatedBy: editorKey).count == 2, "shown exactly once")

        let json = try sandbox.run(["keys", "create", "script", "--json"], secretOutput: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let scriptKey = try #require(object["key"] as? String)
        #expect(isKey(scriptKey))
        #expect(object["name"] as? String == "script")
        #expect(object["prefix"] as? String == String(scriptKey.prefix(11)))
        #expect(object["hash"] == nil)

        // The list shows everything but the key and its hash.
        let table = try sandbox.run(["keys", "list"])
        let listJSON = try sandbox.run(["keys", "list", "--json"])
        // Members in key order, so the output can be diffed from one run to the next.
        let firstRecordKeys = listJSON.stdout.split(separator: "}").first.map { text in
            text.matches(of: #/"([a-z_]+)":/#).map { String($0.output.1) }
        } ?? []
        #expect(firstRecordKeys.count > 5 && firstRecordKeys == firstRecordKeys.sorted(), "\(firstRecordKeys)")
        for output in [table.stdout, listJSON.stdout] {
            #expect(!output.contains(editorKey) && !output.contains(scriptKey) && !output.contains("$2b$"))
        }
        #expect(table.stdout.contains("editor") && table.stdout.contains(String(editorKey.prefix(11))))
        let records = try sandbox.listKeys()
        let editor = try #require(records.first { $0["name"] as? String == "editor" })
        #expect(editor["models"] as? [String] == ["mock/*", "smart"])
        #expect(editor["rpm"] as? Int == 60 && editor["tpm"] as? Int == 1000)
        #expect(editor["budget_usd"] as? Double == 5 && editor["budget_period"] as? String == "day")
        #expect(editor["state"] as? String == "active")
        #expect(editor["expires_at"] as? String != nil && editor["created_at"] as? String != nil)
        #expect(editor["last_used_at"] is NSNull)

        let rotated = try sandbox.run(["keys", "rotate", "editor"], secretOutput: true)
        #expect(rotated.status == 0 && isKey(rotated.lastLine) && rotated.lastLine != editorKey)
        let afterRotation = try #require(try sandbox.listKeys().first { $0["name"] as? String == "editor" })
        #expect(afterRotation["prefix"] as? String == String(rotated.lastLine.prefix(11)))
        #expect(afterRotation["rpm"] as? Int == 60, "limits survive rotation")

        func state(_ name: String) throws -> String? {
            try sandbox.listKeys().first { $0["name"] as? String == name }?["state"] as? String
        }
        let rotatedJSON = try sandbox.run(["keys", "rotate", "script", "--json"], secretOutput: true)
        let rotatedObject = try JSONSerialization.jsonObject(with: Data(rotatedJSON.stdout.utf8)) as? [String: Any]
        let newScriptKey = try #require(rotatedObject?["key"] as? String)
        #expect(isKey(newScriptKey) && newScriptKey != scriptKey && rotatedObject?["prefix"] as? String == String(newScriptKey.prefix(11)))
        #expect(rotatedObject?["rotated_at"] as? String != nil && rotatedObject?["hash"] == nil)

        #expect(try sandbox.run(["keys", "disable", "script"]).status == 0)
        #expect(try state("script") == "disabled")
        #expect(try sandbox.run(["keys", "enable", "script"]).status == 0)
        #expect(try state("script") == "active")
        #expect(try sandbox.run(["keys", "revoke", "script"]).status == 0)
        #expect(try state("script") == "revoked")
        expectOneLineError(try sandbox.run(["keys", "revoke", "script"]), containing: "no key named 'script'")
        expectOneLineError(try sandbox.run(["keys", "enable", "nobody"]), containing: "no key named 'nobody'")
        expectOneLineError(try sandbox.run(["keys", "create", "editor"]), containing: "already exists")
    }

    @Test func badArgumentsAreOneLineErrors() throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        expectOneLineError(try sandbox.run(["keys", "create", "a", "--expires", "soon"]), containing: "--expires soon")
        expectOneLineError(try sandbox.run(["keys", "create", "a", "--per", "day"]), containing: "budget")
        expectOneLineError(try sandbox.run(["keys", "create", "a", "--rpm", "0"]), containing: "rpm")
        expectOneLineError(try sandbox.run(["keys", "create", "bad name"]), containing: "invalid key name")
        // Argument-parser errors put the reason on the first line, then the usage.
        let badPeriod = try sandbox.run(["keys", "create", "a", "--budget", "5", "--per", "week"])
        #expect(badPeriod.status != 0 && badPeriod.stderr.split(separator: "\n").first?.contains("'week' is invalid for '--per") == true)
        #expect(try sandbox.listKeys().isEmpty)
    }

    @Test func aKeyShowsExpiredOnceItsLifetimeIsOver() async throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        #expect(try sandbox.run(["keys", "create", "brief", "--expires", "1500ms"], secretOutput: true).status == 0)
        #expect(try sandbox.listKeys().first?["state"] as? String == "active")
        let start = ContinuousClock.now
        while try sandbox.listKeys().first?["state"] as? String != "expired", ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try sandbox.listKeys().first?["state"] as? String == "expired")
        #expect(try sandbox.run(["keys", "list"]).stdout.contains("expired"))
    }

    @Test func aFlippedByteInKeysEncIsRefusedAndNothingIsOverwritten() throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        #expect(try sandbox.run(["keys", "create", "one"], secretOutput: true).status == 0)
        #expect(try sandbox.run(["keys", "create", "two"], secretOutput: true).status == 0)
        let backupFile = URL(fileURLWithPath: sandbox.keysFile.path + ".bak")
        let backup = try Data(contentsOf: backupFile)
        var tampered = try Data(contentsOf: sandbox.keysFile)
        tampered[tampered.count - 20] ^= 0x40
        try tampered.write(to: sandbox.keysFile)

        for arguments in [["keys", "list"], ["keys", "create", "three"], ["keys", "revoke", "one"], ["keys", "rotate", "two"]] {
            let output = try sandbox.run(arguments)
            expectOneLineError(output, containing: "failed authentication")
            #expect(output.stderr.contains("it was not changed"), "\(arguments)")
        }
        #expect(try Data(contentsOf: sandbox.keysFile) == tampered, "nothing overwritten")
        #expect(try Data(contentsOf: backupFile) == backup, "the backup is intact")
    }
}

@Suite("CLI: localrouter secrets")
struct CLISecretsTests {
    @Test func setListRemove() throws {
        let sandbox = try CLISandbox()
        #expect(try sandbox.run(["init"]).status == 0)
        let value = "sk-live-0123456789abcdef"
        let set = try sandbox.run(["secrets", "set", "openai"], stdin: value + "\n")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try sandbox.run(["secrets", "set", "anthropic"], stdin: "sk-ant-1").status == 0)

        // One trailing newline is dropped, nothing else.
        let store = SecretStore(url: sandbox.dataDirectory.appendingPathComponent("secrets.enc"), masterKey: try MasterKey.load(from: sandbox.masterKeyFile))
        #expect(try store.value(of: "openai") == value)
        #expect(try store.value(of: "anthropic") == "sk-ant-1")

        let list = try sandbox.run(["secrets", "list"])
        #expect(list.stdout.contains("openai") && list.stdout.contains("anthropic"))
        let json = try sandbox.run(["secrets", "list", "--json"])
        let names = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["anthropic", "openai"])

        expectOneLineError(try sandbox.run(["secrets", "set", "empty"], stdin: "\n"), containing: "not stored")
        expectOneLineError(try sandbox.run(["secrets", "set", "empty"], stdin: ""), containing: "not stored")
        #expect(try sandbox.run(["secrets", "remove", "openai"]).status == 0)
        expectOneLineError(try sandbox.run(["secrets", "remove", "openai"]), containing: "no secret named 'openai'")
        #expect(!(try sandbox.run(["secrets", "list"]).stdout.contains("openai")))

        // The value never appears in anything the CLI printed, and the file is sealed.
        #expect(!sandbox.everythingWritten().contains(value) && !sandbox.everythingWritten().contains("sk-ant-1"))
        let sealed = try Data(contentsOf: sandbox.dataDirectory.appendingPathComponent("secrets.enc"))
        #expect(sealed.range(of: Data("sk-ant-1".utf8)) == nil)
    }
}
