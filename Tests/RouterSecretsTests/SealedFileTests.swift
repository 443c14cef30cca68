import Foundation
import Testing

@testable import RouterSecrets

@Suite struct SealedFileTests {
    let key = MasterKey.generate()

    @Test func roundTripsAndCreatesPrivateFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("nested/keys.enc")
        let file = SealedFile(url: url, masterKey: key, context: "keys")
        #expect(try file.read() == nil)
        let plaintext = Data("{\"hello\":\"world\"}".utf8)
        try file.write(plaintext)
        #expect(try file.read() == plaintext)
        #expect(permissions(of: url) == 0o600)
        #expect(permissions(of: url.deletingLastPathComponent()) == 0o700)
        // The plaintext is not on disk.
        let raw = try contents(of: url)
        #expect(raw.range(of: Data("hello".utf8)) == nil)
        #expect(raw.prefix(4) == Data("LRSF".utf8))
        // No temp files left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(names == ["keys.enc"])
    }

    @Test func keepsThePreviousVersionAsBackup() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("secrets.enc")
        let file = SealedFile(url: url, masterKey: key, context: "secrets")
        try file.write(Data("one".utf8))
        #expect(!FileManager.default.fileExists(atPath: file.backupURL.path))
        try file.write(Data("two".utf8))
        try file.write(Data("three".utf8))
        #expect(try file.read() == Data("three".utf8))
        let backup = SealedFile(url: file.backupURL, masterKey: key, context: "secrets")
        #expect(try backup.read() == Data("two".utf8))
        #expect(permissions(of: file.backupURL) == 0o600)
    }

    @Test func refusesAFlippedByteAnywhere() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("keys.enc")
        let file = SealedFile(url: url, masterKey: key, context: "keys")
        try file.write(Data(String(repeating: "x", count: 100).utf8))
        let original = try contents(of: url)
        // Header (version, key id, length, nonce), ciphertext and tag.
        for index in [4, 10, 25, 40, 60, original.count / 2, original.count - 1] {
            var damaged = original
            damaged[index] ^= 0x01
            try damaged.write(to: url)
            let error = secretsError { _ = try file.read() }
            #expect(error != nil, "flip at \(index) was not detected")
            #expect(error?.description.contains(url.path) == true)
        }
        var damaged = original
        damaged[original.count - 5] ^= 0x80
        try damaged.write(to: url)
        #expect(secretsError { _ = try file.read() }?.code == .tampered)
    }

    @Test func refusesATruncatedFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("keys.enc")
        let file = SealedFile(url: url, masterKey: key, context: "keys")
        try file.write(Data(String(repeating: "x", count: 100).utf8))
        let original = try contents(of: url)
        for length in [0, 2, 30, original.count - 1] {
            try original.prefix(length).write(to: url)
            let error = secretsError { _ = try file.read() }
            #expect(error?.code == .truncated, "length \(length)")
            #expect(error?.description.contains(url.path) == true)
        }
    }

    @Test func refusesAWrongMasterKeyOrContext() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("keys.enc")
        try SealedFile(url: url, masterKey: key, context: "keys").write(Data("data".utf8))
        let wrongKey = SealedFile(url: url, masterKey: MasterKey.generate(), context: "keys")
        let error = secretsError { _ = try wrongKey.read() }
        #expect(error?.code == .wrongMasterKey)
        #expect(error?.description.contains(url.path) == true)
        // keys.enc copied over secrets.enc is not accepted as secrets.
        let wrongContext = SealedFile(url: url, masterKey: key, context: "secrets")
        #expect(secretsError { _ = try wrongContext.read() }?.code == .tampered)
    }

    @Test func refusesAForeignFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("keys.enc")
        try Data("{\"keys\": []}".utf8).write(to: url)
        #expect(secretsError { _ = try SealedFile(url: url, masterKey: key, context: "keys").read() }?.code == .notSealed)
    }
}

@Suite struct FileLockTests {
    @Test func excludesOtherHoldersInTheSameProcess() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("keys.enc")
        let outer = FileLock(protecting: url)
        let inner = FileLock(protecting: url, timeout: .milliseconds(50))
        let error = try outer.withExclusiveLock {
            secretsError { try inner.withExclusiveLock {} }
        }
        #expect(error?.code == .lockTimeout)
        // Released afterwards.
        try inner.withExclusiveLock {}
        #expect(permissions(of: outer.lockURL) == 0o600)
    }
}
