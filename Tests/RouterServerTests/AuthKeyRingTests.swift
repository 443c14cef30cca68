import Foundation
import NIOCore
import RouterSecrets
import Testing
@testable import RouterServer

@Suite("Auth: loading keys, refusing bad files, batching last-used times")
struct AuthKeyRingTests {
    @Test func anExposedMasterKeyStopsTheDaemonNamingTheFix() throws {
        let fixture = try AuthKeyFixture()
        _ = try fixture.store.create(name: "editor")
        chmod(fixture.masterKeyFile.path, 0o640)
        let error = #expect(throws: SecretsError.self) { try fixture.makeKeyRing() }
        #expect(error?.code == .masterKeyExposed)
        #expect(error?.message.contains("chmod 600 \(fixture.masterKeyFile.path)") == true)
    }

    @Test func keysWithoutTheirMasterKeyStopTheDaemon() throws {
        let fixture = try AuthKeyFixture()
        _ = try fixture.store.create(name: "editor")
        try FileManager.default.removeItem(at: fixture.masterKeyFile)
        let error = #expect(throws: SecretsError.self) { try fixture.makeKeyRing() }
        #expect(error?.code == .masterKeyMissing)
    }

    @Test func aTamperedKeysFileIsRefusedAtStartAndIgnoredOnReload() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "editor").key
        let keyRing = try fixture.makeKeyRing()
        #expect(await keyRing.verifier.verify(key).record?.name == "editor")

        var bytes = try Data(contentsOf: fixture.keysFile)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: fixture.keysFile)

        let reloadError = #expect(throws: SecretsError.self) { try keyRing.reloadKeys() }
        #expect(reloadError?.code == .tampered)
        #expect(await keyRing.verifier.verify(key).record?.name == "editor", "the previous keys stay in force")
        let startError = #expect(throws: SecretsError.self) { try fixture.makeKeyRing() }
        #expect(startError?.code == .tampered)
        #expect(try Data(contentsOf: fixture.keysFile) == bytes, "nothing overwritten")
    }

    @Test func lastUsedTimesAreBatchedUntilAFlush() throws {
        let fixture = try AuthKeyFixture()
        _ = try fixture.store.create(name: "editor")
        _ = try fixture.store.create(name: "agent")
        let keyRing = try fixture.makeKeyRing()
        let before = try Data(contentsOf: fixture.keysFile)

        fixture.clock.advance(by: 10)
        keyRing.noteUsed("editor")
        fixture.clock.advance(by: 5)
        let lastUse = fixture.clock.now
        keyRing.noteUsed("editor")
        #expect(try Data(contentsOf: fixture.keysFile) == before, "noting a use writes nothing")

        try keyRing.flushLastUsed()
        let records = try fixture.store.list()
        #expect(sameInstant(records.first { $0.name == "editor" }?.lastUsedAt, lastUse))
        #expect(records.first { $0.name == "agent" }?.lastUsedAt == nil)

        let afterFlush = try Data(contentsOf: fixture.keysFile)
        try keyRing.flushLastUsed()
        #expect(try Data(contentsOf: fixture.keysFile) == afterFlush, "an empty batch writes nothing")
    }

    @Test func policyCoversV1AndRemoteClientsOfTheStatusEndpoints() {
        for path in ["/v1/chat/completions", "/v1/models", "/v1/messages", "/v1/messages/count_tokens", "/v1/nothing", "/v1"] {
            #expect(AuthPolicy.requiresKey(path: path, clientIsLoopback: true), "\(path)")
        }
        for path in ["/health/providers", "/metrics"] {
            #expect(!AuthPolicy.requiresKey(path: path, clientIsLoopback: true), "\(path)")
            #expect(AuthPolicy.requiresKey(path: path, clientIsLoopback: false), "\(path)")
        }
        for path in ["/health", "/", "/v1x", "/favicon.ico"] {
            #expect(!AuthPolicy.requiresKey(path: path, clientIsLoopback: false), "\(path)")
        }
    }

    @Test func loopbackIsTellingApartLocalAndRemoteClients() throws {
        for local in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(AuthPolicy.isLoopback(try SocketAddress(ipAddress: local, port: 1)), "\(local)")
        }
        for remote in ["192.168.1.5", "10.0.0.1", "128.0.0.1", "0.0.0.0", "::ffff:10.0.0.1", "2001:db8::1", "::"] {
            #expect(!AuthPolicy.isLoopback(try SocketAddress(ipAddress: remote, port: 1)), "\(remote)")
        }
        #expect(!AuthPolicy.isLoopback(nil))
    }

    @Test func theKeyIsTakenFromBearerThenXAPIKey() {
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer lr-a"]) == "lr-a")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "BEARER   lr-a  "]) == "lr-a")
        #expect(AuthMiddleware.presentedKey(in: [.apiKey: " lr-b "]) == "lr-b")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Basic abc", .apiKey: "lr-b"]) == "lr-b")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer lr-a", .apiKey: "lr-b"]) == "lr-a")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer"]) == nil)
        // Unicode space separators count as whitespace too (no ASCII shortcut for them).
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer lr-a\u{00A0}"]) == "lr-a")
        #expect(AuthMiddleware.presentedKey(in: [.apiKey: "\u{2003}lr-b\t"]) == "lr-b")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: " bearer \t lr-a"]) == "lr-a")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearerx lr-a"]) == nil)
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer \u{00A0}"]) == nil)
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer lr-é\u{2003}"]) == "lr-é")
        #expect(AuthMiddleware.presentedKey(in: [:]) == nil)
    }
}
