import Foundation
import Testing

@testable import RouterSecrets

@Suite struct MasterKeyTests {
    @Test func createThenLoadGivesTheSameKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("data/localrouter/master.key")
        let created = try MasterKey.create(at: url)
        #expect(permissions(of: url) == 0o600)
        #expect(permissions(of: url.deletingLastPathComponent()) == 0o700)
        let loaded = try MasterKey.load(from: url)
        // Same key: what one seals the other opens.
        let sealed = SealedFile(url: url, masterKey: created, context: "test").seal(Array("hello".utf8))
        let opened = try SealedFile(url: url, masterKey: loaded, context: "test").unseal(sealed, path: url.path)
        #expect(opened == Array("hello".utf8))
    }

    @Test func createRefusesToOverwrite() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("master.key")
        try MasterKey.create(at: url)
        let before = try contents(of: url)
        let error = secretsError { try MasterKey.create(at: url) }
        #expect(error?.code == .masterKeyExists)
        #expect(try contents(of: url) == before)
    }

    @Test func loadRefusesAKeyOthersCanRead() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("master.key")
        try MasterKey.create(at: url)
        for mode in [0o640, 0o604, 0o644] {
            chmod(url.path, mode_t(mode))
            let error = secretsError { _ = try MasterKey.load(from: url) }
            #expect(error?.code == .masterKeyExposed)
            #expect(error?.description == "master key \(url.path) is readable by others; run: chmod 600 \(url.path)")
        }
        chmod(url.path, 0o400)
        _ = try MasterKey.load(from: url)
    }

    @Test func loadAcceptsRawAndHexAndRefusesWrongLengths() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let raw = directory.appendingPathComponent("raw.key")
        #expect(FileManager.default.createFile(atPath: raw.path, contents: Data(repeating: 7, count: 32), attributes: [.posixPermissions: 0o600]))
        _ = try MasterKey.load(from: raw)

        let hex = directory.appendingPathComponent("hex.key")
        let hexText = String(repeating: "0a", count: 32) + "\n"
        #expect(FileManager.default.createFile(atPath: hex.path, contents: Data(hexText.utf8), attributes: [.posixPermissions: 0o600]))
        _ = try MasterKey.load(from: hex)

        let short = directory.appendingPathComponent("short.key")
        #expect(FileManager.default.createFile(atPath: short.path, contents: Data(repeating: 7, count: 31), attributes: [.posixPermissions: 0o600]))
        let error = secretsError { _ = try MasterKey.load(from: short) }
        #expect(error?.code == .masterKeyInvalid)
        #expect(error?.description.contains(short.path) == true)

        let missing = directory.appendingPathComponent("missing.key")
        #expect(secretsError { _ = try MasterKey.load(from: missing) }?.code == .masterKeyMissing)
    }

    @Test func locateFollowsTheDocumentedOrder() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let data = directory.appendingPathComponent("data")
        let credentials = directory.appendingPathComponent("credentials")
        let explicit = directory.appendingPathComponent("elsewhere/my.key").path

        #expect(MasterKey.locate(environment: [:], dataDirectory: data).path == data.appendingPathComponent("master.key").path)
        #expect(MasterKey.locate(environment: ["LOCALROUTER_MASTER_KEY_FILE": explicit], dataDirectory: data).path == explicit)
        // A credentials directory without master.key in it falls through.
        let both = ["CREDENTIALS_DIRECTORY": credentials.path, "LOCALROUTER_MASTER_KEY_FILE": explicit]
        #expect(MasterKey.locate(environment: both, dataDirectory: data).path == explicit)
        try MasterKey.create(at: credentials.appendingPathComponent("master.key"))
        #expect(MasterKey.locate(environment: both, dataDirectory: data).path == credentials.appendingPathComponent("master.key").path)
    }

    @Test func descriptionRevealsNoKeyMaterial() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("master.key")
        try MasterKey.create(at: url)
        let hexText = try #require(String(data: try contents(of: url), encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hexText.count == 64)
        let key = try MasterKey.load(from: url)
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped] {
            #expect(!text.contains(hexText))
            #expect(!text.contains(hexText.prefix(8)))
        }
    }
}
