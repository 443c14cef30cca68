import Foundation

/// The issued keys in `keys.enc`. Every mutation is lock → read → modify → atomic write, so the CLI
/// and the daemon can both use it; reads need no lock because writes replace the file by rename.
/// The slow bcrypt of a new key runs before the lock is taken.
package final class KeyStore: Sendable {
    package static let fileName = "keys.enc"

    package let url: URL
    let file: SealedFile
    let lock: FileLock
    let bcryptCost: Int
    let now: @Sendable () -> Date

    package init(
        url: URL, masterKey: MasterKey, bcryptCost: Int = Bcrypt.defaultCost,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.url = url
        file = SealedFile(url: url, masterKey: masterKey, context: "keys")
        lock = FileLock(protecting: url)
        self.bcryptCost = bcryptCost
        self.now = now
    }

    /// Every record, revoked ones included, in creation order.
    package func list() throws -> [KeyRecord] {
        try load().keys
    }

    /// Issues a new key. Returns the record and the key itself, which is shown once and never stored.
    /// The name must be unique among keys that are not revoked.
    package func create(
        name: String, models: [String] = [], rpm: Int? = nil, tpm: Int? = nil, budgetUSD: Double? = nil,
        budgetPeriod: KeyRecord.BudgetPeriod? = nil, expiresAt: Date? = nil
    ) throws -> (record: KeyRecord, key: String) {
        try ItemName.validate(name, kind: "key")
        try Self.validateLimits(models: models, rpm: rpm, tpm: tpm, budgetUSD: budgetUSD, budgetPeriod: budgetPeriod)
        let createdAt = now()
        if let expiresAt, expiresAt <= createdAt {
            throw SecretsError(.invalidArgument, "the expiry of key \(ItemName.quoted(name)) is in the past")
        }
        return try withNewKey { key, prefix, hash in
            try mutate { keys in
                if keys.contains(where: { $0.name == name && $0.state != .revoked }) {
                    throw SecretsError(.duplicateName, "a key named \(ItemName.quoted(name)) already exists; revoke it first or choose another name")
                }
                if keys.contains(where: { $0.prefix == prefix }) { throw PrefixTaken.error }
                let record = KeyRecord(
                    name: name, prefix: prefix, hash: hash, createdAt: createdAt, expiresAt: expiresAt,
                    models: models, rpm: rpm, tpm: tpm, budgetUSD: budgetUSD,
                    budgetPeriod: budgetUSD == nil ? nil : budgetPeriod ?? .month)
                keys.append(record)
                return (record, key)
            }
        }
    }

    /// Permanently revokes; the record stays for `keys list` and its name may be reused.
    @discardableResult
    package func revoke(name: String) throws -> KeyRecord {
        try update(name: name) { $0.state = .revoked }
    }

    @discardableResult
    package func disable(name: String) throws -> KeyRecord {
        try update(name: name) { $0.state = .disabled }
    }

    @discardableResult
    package func enable(name: String) throws -> KeyRecord {
        try update(name: name) { $0.state = .active }
    }

    /// A new secret for the same name, state and limits; the old key stops working. Returns the new key.
    @discardableResult
    package func rotate(name: String) throws -> String {
        try ItemName.validate(name, kind: "key")
        // Fail before the slow hash if there is nothing to rotate.
        guard try list().contains(where: { $0.name == name && $0.state != .revoked }) else {
            throw Self.notFound(name)
        }
        let rotatedAt = now()
        return try withNewKey { key, prefix, hash in
            try mutate { keys in
                guard let index = keys.firstIndex(where: { $0.name == name && $0.state != .revoked }) else {
                    throw Self.notFound(name)
                }
                if keys.contains(where: { $0.prefix == prefix }) { throw PrefixTaken.error }
                keys[index].prefix = prefix
                keys[index].hash = hash
                keys[index].rotatedAt = rotatedAt
                return key
            }
        }
    }

    /// Batched last-used times (the daemon flushes every few seconds instead of writing per request).
    /// Unknown or revoked names are ignored; a time only ever moves forward. No write if nothing changed.
    package func recordLastUsed(_ times: [String: Date]) throws {
        guard !times.isEmpty else { return }
        try lock.withExclusiveLock {
            var contents = try load()
            var changed = false
            for index in contents.keys.indices where contents.keys[index].state != .revoked {
                guard let time = times[contents.keys[index].name] else { continue }
                if contents.keys[index].lastUsedAt.map({ $0 < time }) ?? true {
                    contents.keys[index].lastUsedAt = time
                    changed = true
                }
            }
            if changed { try save(contents) }
        }
    }

    // MARK: Internals

    struct Contents: Codable {
        var version: Int
        var keys: [KeyRecord]
    }

    private func load() throws -> Contents {
        guard let data = try file.read() else { return Contents(version: 1, keys: []) }
        let contents = try StoreCoding.decode(Contents.self, from: data, path: url.path)
        try StoreCoding.checkVersion(contents.version, path: url.path)
        return contents
    }

    private func save(_ contents: Contents) throws {
        try file.write(StoreCoding.encode(contents))
    }

    private func mutate<Result>(_ body: (inout [KeyRecord]) throws -> Result) throws -> Result {
        try lock.withExclusiveLock {
            var contents = try load()
            let result = try body(&contents.keys)
            try save(contents)
            return result
        }
    }

    private func update(name: String, _ change: (inout KeyRecord) -> Void) throws -> KeyRecord {
        try ItemName.validate(name, kind: "key")
        return try mutate { keys in
            guard let index = keys.firstIndex(where: { $0.name == name && $0.state != .revoked }) else {
                throw Self.notFound(name)
            }
            change(&keys[index])
            return keys[index]
        }
    }

    /// Generates and hashes a key (slow, outside the lock), then runs `body`; retries with a fresh key
    /// in the vanishingly rare case its prefix is already taken, so prefixes stay unique.
    private func withNewKey<Result>(_ body: (String, String, String) throws -> Result) throws -> Result {
        for _ in 0..<4 {
            let key = APIKey.generate()
            let prefix = APIKey.prefix(of: key)
            let hash = try Bcrypt.hash(key, cost: bcryptCost)
            do {
                return try body(key, prefix, hash)
            } catch PrefixTaken.error {
                continue
            }
        }
        throw SecretsError(.randomFailed, "could not generate a key with an unused prefix")
    }

    private enum PrefixTaken: Error { case error }

    private static func notFound(_ name: String) -> SecretsError {
        SecretsError(.keyNotFound, "no key named \(ItemName.quoted(name)) (revoked keys cannot be changed)")
    }

    private static func validateLimits(
        models: [String], rpm: Int?, tpm: Int?, budgetUSD: Double?, budgetPeriod: KeyRecord.BudgetPeriod?
    ) throws {
        if models.contains(where: { $0.isEmpty }) {
            throw SecretsError(.invalidArgument, "a model glob cannot be empty")
        }
        if let rpm, rpm <= 0 { throw SecretsError(.invalidArgument, "rpm must be a positive number") }
        if let tpm, tpm <= 0 { throw SecretsError(.invalidArgument, "tpm must be a positive number") }
        if let budgetUSD, !(budgetUSD > 0 && budgetUSD.isFinite) {
            throw SecretsError(.invalidArgument, "the budget must be a positive amount of USD")
        }
        if budgetUSD == nil, budgetPeriod != nil {
            throw SecretsError(.invalidArgument, "a budget period needs a budget amount")
        }
    }
}
