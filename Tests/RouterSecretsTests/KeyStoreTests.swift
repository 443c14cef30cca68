import Foundation
import Testing

@testable import RouterSecrets

@Suite struct KeyStoreTests {
    let masterKey = MasterKey.generate()
    let clock = TestClock()

    func makeStore(_ directory: URL) -> KeyStore {
        KeyStore(url: directory.appendingPathComponent("keys.enc"), masterKey: masterKey, bcryptCost: 4, now: { [clock] in clock.now })
    }

    @Test func createStoresAHashNotTheKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        #expect(try store.list().isEmpty)
        let (record, key) = try store.create(
            name: "laptop", models: ["smart", "mock/*"], rpm: 60, tpm: 100_000, budgetUSD: 5, budgetPeriod: .day,
            expiresAt: clock.now + 3600)
        #expect(APIKey.isWellFormed(key))
        #expect(record.prefix == APIKey.prefix(of: key))
        #expect(record.hash != key && Bcrypt.verify(key, against: record.hash))
        #expect(record.state == .active)
        #expect(record.createdAt == clock.now)

        // A second instance (another process, in effect) sees the same record.
        let listed = try makeStore(directory).list()
        #expect(listed == [record])
        let raw = try contents(of: store.url)
        #expect(raw.range(of: Data(key.utf8)) == nil)
        #expect(raw.range(of: Data("laptop".utf8)) == nil)
    }

    @Test func namesAreUniqueAmongLiveKeys() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        _ = try store.create(name: "ci")
        #expect(secretsError { _ = try store.create(name: "ci") }?.code == .duplicateName)
        try store.revoke(name: "ci")
        // A revoked name can be reused; the revoked record stays listed.
        let (second, _) = try store.create(name: "ci")
        let states = try store.list().map { "\($0.name):\($0.state.rawValue)" }
        #expect(states == ["ci:revoked", "ci:active"])
        #expect(try store.list().last == second)
        #expect(secretsError { _ = try store.create(name: "bad name") }?.code == .invalidName)
        #expect(secretsError { _ = try store.create(name: "") }?.code == .invalidName)
        // A pasted key is not a name, and is not echoed back.
        let pasted = APIKey.generate()
        let error = secretsError { _ = try store.create(name: pasted) }
        #expect(error?.code == .invalidName)
        #expect(error?.description.contains(pasted) == false)
    }

    @Test func revokeDisableEnable() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        _ = try store.create(name: "a")
        #expect(try store.disable(name: "a").state == .disabled)
        #expect(try store.list().first?.state == .disabled)
        #expect(try store.enable(name: "a").state == .active)
        #expect(try store.revoke(name: "a").state == .revoked)
        #expect(secretsError { try store.revoke(name: "a") }?.code == .keyNotFound)
        #expect(secretsError { try store.enable(name: "a") }?.code == .keyNotFound)
        #expect(secretsError { try store.disable(name: "missing") }?.code == .keyNotFound)
        #expect(secretsError { try store.rotate(name: "a") }?.code == .keyNotFound)
    }

    @Test func rotateReplacesTheSecretAndKeepsTheRest() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        let (before, oldKey) = try store.create(name: "agent", models: ["smart"], rpm: 10)
        clock.advance(by: 60)
        let newKey = try store.rotate(name: "agent")
        let after = try #require(try store.list().first)
        #expect(newKey != oldKey && APIKey.isWellFormed(newKey))
        #expect(after.prefix == APIKey.prefix(of: newKey))
        #expect(Bcrypt.verify(newKey, against: after.hash))
        #expect(!Bcrypt.verify(oldKey, against: after.hash))
        #expect(after.name == before.name && after.models == ["smart"] && after.rpm == 10)
        #expect(after.createdAt == before.createdAt && after.rotatedAt == clock.now)
        #expect(try store.list().count == 1)
    }

    @Test func expiryIsStoredAndValidated() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        let (record, _) = try store.create(name: "temp", expiresAt: clock.now + 60)
        #expect(record.isUsable(at: clock.now))
        #expect(record.displayState(at: clock.now) == "active")
        clock.advance(by: 60)
        #expect(!record.isUsable(at: clock.now))
        #expect(record.displayState(at: clock.now) == "expired")
        #expect(secretsError { _ = try store.create(name: "past", expiresAt: clock.now - 1) }?.code == .invalidArgument)
    }

    @Test func limitsAreValidated() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        #expect(secretsError { _ = try store.create(name: "x", rpm: 0) }?.code == .invalidArgument)
        #expect(secretsError { _ = try store.create(name: "x", budgetUSD: -1) }?.code == .invalidArgument)
        #expect(secretsError { _ = try store.create(name: "x", budgetPeriod: .day) }?.code == .invalidArgument)
        #expect(secretsError { _ = try store.create(name: "x", models: [""]) }?.code == .invalidArgument)
        // A budget without a period is per month.
        #expect(try store.create(name: "x", budgetUSD: 20).record.budgetPeriod == .month)
        #expect(try store.list().count == 1)
    }

    @Test func recordLastUsedOnlyMovesForward() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        _ = try store.create(name: "a")
        _ = try store.create(name: "b")
        let time = clock.now + 10
        try store.recordLastUsed(["a": time, "ghost": time])
        #expect(try store.list().map(\.lastUsedAt) == [time, nil])
        try store.recordLastUsed(["a": time - 5])
        #expect(try store.list().first?.lastUsedAt == time)
    }

    @Test func refusesADamagedFileAndLeavesItUntouched() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = makeStore(directory)
        _ = try store.create(name: "a")
        _ = try store.create(name: "b")
        var damaged = try contents(of: store.url)
        damaged[damaged.count - 3] ^= 0xFF
        try damaged.write(to: store.url)
        let backup = try contents(of: URL(fileURLWithPath: store.url.path + ".bak"))

        #expect(secretsError { _ = try store.create(name: "c") }?.code == .tampered)
        #expect(secretsError { try store.revoke(name: "a") }?.code == .tampered)
        #expect(secretsError { try store.recordLastUsed(["a": Date()]) }?.code == .tampered)
        #expect(try contents(of: store.url) == damaged)
        #expect(try contents(of: URL(fileURLWithPath: store.url.path + ".bak")) == backup)

        // Another master key is refused the same way.
        let foreign = KeyStore(url: store.url, masterKey: MasterKey.generate(), bcryptCost: 4)
        try contents(of: URL(fileURLWithPath: store.url.path + ".bak")).write(to: store.url)
        let good = try contents(of: store.url)
        #expect(secretsError { _ = try foreign.create(name: "c") }?.code == .wrongMasterKey)
        #expect(try contents(of: store.url) == good)
    }

    @Test func concurrentCreatesFromSeparateInstancesLoseNothing() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let threadCount = 8
        let perThread = 3
        let failures = LockedState<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<threadCount {
            group.enter()
            // Each thread has its own store, so its own lock file description, as separate processes would.
            let store = makeStore(directory)
            Thread {
                defer { group.leave() }
                for index in 0..<perThread {
                    do {
                        _ = try store.create(name: "t\(thread)-\(index)")
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let names = Set(try makeStore(directory).list().map(\.name))
        #expect(names.count == threadCount * perThread)
    }
}

@Suite struct SecretStoreTests {
    let masterKey = MasterKey.generate()

    @Test func setListValueRemove() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("secrets.enc")
        let store = SecretStore(url: url, masterKey: masterKey)
        #expect(try store.list().isEmpty)
        try store.set(name: "openai", value: "sk-test-123")
        try store.set(name: "anthropic", value: "sk-ant-456")
        try store.set(name: "openai", value: "sk-test-789")
        let reopened = SecretStore(url: url, masterKey: masterKey)
        #expect(try reopened.list() == ["anthropic", "openai"])
        #expect(try reopened.value(of: "openai") == "sk-test-789")
        #expect(try reopened.value(of: "missing") == nil)
        #expect(try reopened.allValues() == ["anthropic": "sk-ant-456", "openai": "sk-test-789"])
        #expect(try reopened.summaries().map(\.name) == ["anthropic", "openai"])
        #expect(try contents(of: url).range(of: Data("sk-test".utf8)) == nil)
        try reopened.remove(name: "openai")
        #expect(try store.list() == ["anthropic"])
        let error = secretsError { try store.remove(name: "openai") }
        #expect(error?.code == .secretNotFound)
        #expect(secretsError { try store.set(name: "x", value: "") }?.code == .invalidArgument)
    }

    @Test func refusesDamageWithoutOverwriting() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let url = directory.appendingPathComponent("secrets.enc")
        let store = SecretStore(url: url, masterKey: masterKey)
        try store.set(name: "openai", value: "sk-test-123")
        let original = try contents(of: url)
        try original.prefix(original.count - 10).write(to: url)
        let error = secretsError { try store.set(name: "other", value: "v") }
        #expect(error?.code == .truncated)
        #expect(try contents(of: url) == original.prefix(original.count - 10))
    }
}
