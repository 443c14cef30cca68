import Foundation
import Testing

@testable import RouterSecrets

@Suite struct KeyVerifierTests {
    let clock = TestClock()

    func makeRecord(name: String = "k", key: String, cost: Int = 4, state: KeyRecord.State = .active, expiresAt: Date? = nil) throws
        -> KeyRecord
    {
        KeyRecord(
            name: name, prefix: APIKey.prefix(of: key), hash: try Bcrypt.hash(key, cost: cost), createdAt: clock.now,
            expiresAt: expiresAt, state: state)
    }

    func makeVerifier(_ records: [KeyRecord], queueCapacity: Int = 8) -> KeyVerifier {
        KeyVerifier(records: records, bcryptQueueCapacity: queueCapacity, now: { [clock] in clock.now })
    }

    /// Same prefix, different secret.
    func wrongKey(sharingPrefixWith key: String, variant: Int = 0) -> String {
        let suffix = String(repeating: "A", count: 34 - String(variant).count) + String(variant)
        return APIKey.prefix(of: key) + suffix + "E"
    }

    @Test func aVerifiedKeyIsRecognisedAgainWithoutBcrypt() async throws {
        let key = APIKey.generate()
        let record = try makeRecord(key: key)
        let verifier = makeVerifier([record])
        #expect(await verifier.verify(key) == .valid(record))
        #expect(verifier.bcryptRuns == 1)
        let clock = ContinuousClock()
        var fastest = Duration.seconds(1)
        for _ in 0..<20 {
            let start = clock.now
            let result = await verifier.verify(key)
            fastest = min(fastest, clock.now - start)
            #expect(result == .valid(record))
        }
        #expect(verifier.bcryptRuns == 1)
        #expect(fastest < .milliseconds(1))
    }

    /// The cache's index: the same key under the same hash key gives the same digest; any other
    /// key (one character changed anywhere), or the same key under another process's hash key,
    /// gives another.
    @Test func theKeyDigestTellsEveryOtherKeyApart() {
        let hashKey = Sodium.randomBytes(16)
        let key = APIKey.generate()
        #expect(KeyDigest(of: key, hashKey: hashKey) == KeyDigest(of: key, hashKey: hashKey))
        #expect(KeyDigest(of: key, hashKey: hashKey) != KeyDigest(of: key, hashKey: Sodium.randomBytes(16)))
        var digests: Set<KeyDigest> = [KeyDigest(of: key, hashKey: hashKey)]
        let characters = Array(key)
        for index in characters.indices {
            var changed = characters
            changed[index] = changed[index] == "A" ? "B" : "A"
            digests.insert(KeyDigest(of: String(changed), hashKey: hashKey))
        }
        digests.insert(KeyDigest(of: key + "A", hashKey: hashKey))
        digests.insert(KeyDigest(of: String(key.dropLast()), hashKey: hashKey))
        digests.insert(KeyDigest(of: "", hashKey: hashKey))
        #expect(digests.count == characters.count + 4)
    }

    @Test func concurrentChecksOfOneKeyShareOneBcrypt() async throws {
        let key = APIKey.generate()
        let record = try makeRecord(key: key, cost: 8)
        let verifier = makeVerifier([record])
        let results = await withTaskGroup(of: KeyVerification.self) { group in
            for _ in 0..<6 { group.addTask { await verifier.verify(key) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: .valid(record), count: 6))
        #expect(verifier.bcryptRuns == 1)
    }

    @Test func malformedAndUnknownKeysCostNoBcrypt() async throws {
        let key = APIKey.generate()
        let verifier = makeVerifier([try makeRecord(key: key)])
        #expect(await verifier.verify("") == .invalid(.malformed))
        #expect(await verifier.verify("Bearer " + key) == .invalid(.malformed))
        #expect(await verifier.verify(String(key.dropLast())) == .invalid(.malformed))
        #expect(await verifier.verify(APIKey.generate()) == .invalid(.unknown))
        #expect(verifier.bcryptRuns == 0)
    }

    @Test func aWrongKeyWithAKnownPrefixCostsOneBcryptThenIsCached() async throws {
        let key = APIKey.generate()
        let verifier = makeVerifier([try makeRecord(key: key)])
        let wrong = wrongKey(sharingPrefixWith: key)
        #expect(APIKey.isWellFormed(wrong) && wrong != key)
        #expect(await verifier.verify(wrong) == .invalid(.unknown))
        #expect(verifier.bcryptRuns == 1)
        for _ in 0..<5 { #expect(await verifier.verify(wrong) == .invalid(.unknown)) }
        #expect(verifier.bcryptRuns == 1)
        // The right key still works.
        #expect(await verifier.verify(key).record != nil)
        #expect(verifier.bcryptRuns == 2)
    }

    @Test func theNegativeCacheIsBounded() async throws {
        let key = APIKey.generate()
        let verifier = KeyVerifier(records: [try makeRecord(key: key)], negativeCacheCapacity: 2, now: { [clock] in clock.now })
        for variant in 0..<3 { _ = await verifier.verify(wrongKey(sharingPrefixWith: key, variant: variant)) }
        #expect(verifier.bcryptRuns == 3)
        // Variant 0 was forgotten (oldest), variant 2 is remembered.
        _ = await verifier.verify(wrongKey(sharingPrefixWith: key, variant: 2))
        #expect(verifier.bcryptRuns == 3)
        _ = await verifier.verify(wrongKey(sharingPrefixWith: key, variant: 0))
        #expect(verifier.bcryptRuns == 4)
    }

    @Test func aFloodOfWrongKeysFailsFastBeyondTheQueue() async throws {
        let key = APIKey.generate()
        let record = try makeRecord(key: key, cost: 10)
        let verifier = makeVerifier([record], queueCapacity: 1)
        let attempts = 12
        let results = await withTaskGroup(of: KeyVerification.self) { group in
            for variant in 0..<attempts {
                let wrong = wrongKey(sharingPrefixWith: key, variant: variant)
                group.addTask { await verifier.verify(wrong) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let overloaded = results.filter { $0 == .invalid(.overloaded) }.count
        #expect(results.allSatisfy { $0 == .invalid(.unknown) || $0 == .invalid(.overloaded) })
        #expect(overloaded > 0)
        #expect(verifier.bcryptRuns == attempts - overloaded)
    }

    @Test func revokedDisabledExpiredAndRotatedKeysStopWorking() async throws {
        let key = APIKey.generate()
        var record = try makeRecord(key: key, expiresAt: clock.now + 100)
        let verifier = makeVerifier([record])
        #expect(await verifier.verify(key) == .valid(record))

        record.state = .disabled
        verifier.replaceRecords([record])
        #expect(await verifier.verify(key) == .invalid(.disabled))
        record.state = .active
        verifier.replaceRecords([record])
        #expect(await verifier.verify(key) == .valid(record))

        clock.advance(by: 100)
        #expect(await verifier.verify(key) == .invalid(.expired))
        record.expiresAt = nil
        verifier.replaceRecords([record])
        #expect(await verifier.verify(key) == .valid(record))

        // Limits changed by a reload are seen on the next hit.
        record.rpm = 5
        verifier.replaceRecords([record])
        #expect(await verifier.verify(key).record?.rpm == 5)
        #expect(verifier.bcryptRuns == 1)

        // Rotation: new prefix and hash; the old key is unknown, the new one works.
        let newKey = APIKey.generate()
        var rotated = record
        rotated.prefix = APIKey.prefix(of: newKey)
        rotated.hash = try Bcrypt.hash(newKey, cost: 4)
        verifier.replaceRecords([rotated])
        #expect(await verifier.verify(key) == .invalid(.unknown))
        #expect(await verifier.verify(newKey) == .valid(rotated))

        rotated.state = .revoked
        verifier.replaceRecords([rotated])
        #expect(await verifier.verify(newKey) == .invalid(.revoked))
        verifier.replaceRecords([])
        #expect(await verifier.verify(newKey) == .invalid(.unknown))
    }

    @Test func aHashChangeUnderTheSamePrefixDropsTheCachedKey() async throws {
        let key = APIKey.generate()
        var record = try makeRecord(key: key)
        let verifier = makeVerifier([record])
        #expect(await verifier.verify(key).record != nil)
        record.hash = try Bcrypt.hash(APIKey.generate(), cost: 4)
        verifier.replaceRecords([record])
        #expect(await verifier.verify(key) == .invalid(.unknown))
        #expect(verifier.bcryptRuns == 2)
    }

    @Test func unusableRecordsAreRefusedWithoutBcrypt() async throws {
        let disabledKey = APIKey.generate()
        let expiredKey = APIKey.generate()
        let verifier = makeVerifier([
            try makeRecord(name: "d", key: disabledKey, state: .disabled),
            try makeRecord(name: "e", key: expiredKey, expiresAt: clock.now - 1),
        ])
        #expect(await verifier.verify(disabledKey) == .invalid(.disabled))
        #expect(await verifier.verify(expiredKey) == .invalid(.expired))
        #expect(verifier.bcryptRuns == 0)
    }
}

@Suite struct NoSecretLeakTests {
    @Test func errorsAndDescriptionsHoldNoKeyMaterial() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let masterKeyURL = directory.appendingPathComponent("master.key")
        let masterKey = try MasterKey.create(at: masterKeyURL)
        let masterKeyText = try #require(String(data: try contents(of: masterKeyURL), encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let keys = KeyStore(url: directory.appendingPathComponent("keys.enc"), masterKey: masterKey, bcryptCost: 4)
        let secrets = SecretStore(url: directory.appendingPathComponent("secrets.enc"), masterKey: masterKey)
        let upstreamSecret = "sk-upstream-\(UUID().uuidString)"
        try secrets.set(name: "openai", value: upstreamSecret)
        let (record, key) = try keys.create(name: "laptop")

        var texts: [String] = ["\(record)", String(reflecting: record), "\(masterKey)"]
        func collect(_ body: () throws -> Void) {
            do { try body() } catch { texts.append("\(error)"); texts.append(error.localizedDescription) }
        }
        collect { _ = try keys.create(name: "laptop") }
        collect { _ = try keys.create(name: key) }
        collect { try keys.revoke(name: key) }
        collect { try secrets.remove(name: upstreamSecret) }
        collect { try secrets.set(name: upstreamSecret, value: upstreamSecret) }
        collect { _ = try Bcrypt.hash(key, cost: 99) }
        collect { _ = try MasterKey.create(at: masterKeyURL) }
        chmod(masterKeyURL.path, 0o644)
        collect { _ = try MasterKey.load(from: masterKeyURL) }
        var damaged = try contents(of: secrets.url)
        damaged[damaged.count - 1] ^= 1
        try damaged.write(to: secrets.url)
        collect { _ = try secrets.value(of: "openai") }
        collect { _ = try SecretStore(url: secrets.url, masterKey: MasterKey.generate()).list() }

        let verifier = KeyVerifier(records: [record])
        for presented in [key, String(key.dropLast()), APIKey.generate()] {
            switch await verifier.verify(presented) {
            case .valid(let record): texts.append("\(record)")
            case .invalid(let reason): texts.append("\(reason)")
            }
        }

        #expect(texts.count > 15)
        for text in texts {
            #expect(!text.contains(key.dropFirst(3).prefix(20)), "key in: \(text)")
            #expect(!text.contains(record.hash.dropFirst(7)), "hash in: \(text)")
            #expect(!text.contains(upstreamSecret), "upstream secret in: \(text)")
            #expect(!text.contains(masterKeyText.prefix(16)), "master key in: \(text)")
        }
    }
}
