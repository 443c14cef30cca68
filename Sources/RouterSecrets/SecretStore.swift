import Foundation

/// Upstream API keys in `secrets.enc`, referenced from the config as `secret:NAME`.
/// Values never appear in errors or descriptions.
package final class SecretStore: Sendable {
    package static let fileName = "secrets.enc"

    package struct Summary: Sendable, Equatable {
        package let name: String
        package let updatedAt: Date
    }

    package let url: URL
    let file: SealedFile
    let lock: FileLock
    let now: @Sendable () -> Date

    package init(url: URL, masterKey: MasterKey, now: @escaping @Sendable () -> Date = { Date() }) {
        self.url = url
        file = SealedFile(url: url, masterKey: masterKey, context: "secrets")
        lock = FileLock(protecting: url)
        self.now = now
    }

    /// Adds or replaces a secret. The value is stored as given (strip a trailing newline before).
    package func set(name: String, value: String) throws {
        try ItemName.validate(name, kind: "secret")
        guard !value.isEmpty else { throw SecretsError(.invalidArgument, "the value of secret \(ItemName.quoted(name)) is empty") }
        let updatedAt = now()
        try lock.withExclusiveLock {
            var contents = try load()
            contents.secrets[name] = Entry(value: value, updatedAt: updatedAt)
            try save(contents)
        }
    }

    /// Secret names, sorted.
    package func list() throws -> [String] {
        try load().secrets.keys.sorted()
    }

    /// Names with their last update, sorted by name.
    package func summaries() throws -> [Summary] {
        try load().secrets.map { Summary(name: $0.key, updatedAt: $0.value.updatedAt) }.sorted { $0.name < $1.name }
    }

    package func remove(name: String) throws {
        try ItemName.validate(name, kind: "secret")
        try lock.withExclusiveLock {
            var contents = try load()
            guard contents.secrets.removeValue(forKey: name) != nil else {
                throw SecretsError(.secretNotFound, "no secret named \(ItemName.quoted(name))")
            }
            try save(contents)
        }
    }

    package func value(of name: String) throws -> String? {
        try load().secrets[name]?.value
    }

    /// Every value by name, from one decryption (what the daemon resolves `secret:NAME` against).
    package func allValues() throws -> [String: String] {
        try load().secrets.mapValues(\.value)
    }

    // MARK: Internals

    struct Entry: Codable, CustomStringConvertible {
        var value: String
        var updatedAt: Date
        var description: String { "Entry(updatedAt: \(updatedAt))" }
    }

    struct Contents: Codable {
        var version: Int
        var secrets: [String: Entry]
    }

    private func load() throws -> Contents {
        guard let data = try file.read() else { return Contents(version: 1, secrets: [:]) }
        let contents = try StoreCoding.decode(Contents.self, from: data, path: url.path)
        try StoreCoding.checkVersion(contents.version, path: url.path)
        return contents
    }

    private func save(_ contents: Contents) throws {
        try file.write(StoreCoding.encode(contents))
    }
}
