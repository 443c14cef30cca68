import ArgumentParser
import Foundation
import RouterCore
import RouterSecrets

/// `localrouter keys …`: issue and manage the `lr-` keys clients present (SPEC §2, §6).
/// A running daemon notices every change within 2 s.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list, revoke, rotate, disable and enable client keys (lr-…).",
        subcommands: [Create.self, List.self, Revoke.self, Rotate.self, Disable.self, Enable.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new key; it is printed once, alone on the last line of output.")

        @Argument(help: "A name for the key (shown in logs and usage), e.g. my-editor.")
        var name: String

        @Option(name: .long, help: "Model ids the key may use (globs, e.g. 'openai/*'); repeatable. Default: every model.")
        var models: [String] = []

        @Option(name: .long, help: "Requests per minute.")
        var rpm: Int?

        @Option(name: .long, help: "Tokens per minute.")
        var tpm: Int?

        @Option(name: .long, help: "Spending limit in USD per --per period.")
        var budget: Double?

        @Option(name: .long, help: "Budget period: day or month (default month).")
        var per: KeyRecord.BudgetPeriod?

        @Option(name: .long, help: "Lifetime, e.g. 12h, 30d. Default: never expires.")
        var expires: String?

        @Flag(name: .long, help: "Print one JSON object (with the key) instead of text.")
        var json = false

        func run() throws {
            let expiresAt = try expires.map { try KeysCommand.expiryDate(after: $0) }
            let store = try DataStores.keyStore()
            let (record, key) = try store.create(
                name: name, models: models, rpm: rpm, tpm: tpm, budgetUSD: budget, budgetPeriod: per, expiresAt: expiresAt)
            if json {
                var object = KeysCommand.json(record)
                object["key"] = .string(key)
                KeysCommand.printJSON(.object(object))
                return
            }
            print("Created key '\(record.name)' (\(record.prefix)…): models \(KeysCommand.modelsText(record)), limits \(KeysCommand.limitsText(record)), expires \(record.expiresAt.map(KeysCommand.displayDate) ?? "never").")
            print("Copy it now; it is not shown again:")
            print(key)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every key's name, prefix, dates, state and limits (never the key).")

        @Flag(name: .long, help: "Print a JSON array instead of a table.")
        var json = false

        func run() throws {
            let records = try DataStores.existingKeyStore()?.list() ?? []
            let now = Date()
            if json {
                KeysCommand.printJSON(.array(records.map { record in
                    var object = KeysCommand.json(record)
                    object["state"] = .string(record.displayState(at: now))
                    return .object(object)
                }))
                return
            }
            guard !records.isEmpty else {
                print("No keys yet. Create one with: localrouter keys create NAME")
                return
            }
            let header = ["NAME", "PREFIX", "STATE", "CREATED", "LAST USED", "EXPIRES", "MODELS", "LIMITS"]
            let rows = records.map { record in
                [
                    record.name, record.prefix + "…", record.displayState(at: now), KeysCommand.displayDate(record.createdAt),
                    record.lastUsedAt.map(KeysCommand.displayDate) ?? "never", record.expiresAt.map(KeysCommand.displayDate) ?? "never",
                    KeysCommand.modelsText(record), KeysCommand.limitsText(record),
                ]
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                let cells = row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }
                print(cells.joined(separator: "  "))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key for good (its name can then be reused).")
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try DataStores.keyStore().revoke(name: name)
            print("Revoked key '\(name)'.")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a key a new secret, keeping its name and limits; the old secret stops working. The new key is the last line.")
        @Argument(help: "The key's name.") var name: String

        @Flag(name: .long, help: "Print one JSON object (with the new key) instead of text.")
        var json = false

        func run() throws {
            let store = try DataStores.keyStore()
            let key = try store.rotate(name: name)
            if json {
                let record = try store.list().first { $0.name == name && $0.state != .revoked }
                var object = record.map(KeysCommand.json) ?? ["name": .string(name)]
                object["key"] = .string(key)
                KeysCommand.printJSON(.object(object))
                return
            }
            print("Rotated key '\(name)'; the previous secret no longer works. Copy the new one now; it is not shown again:")
            print(key)
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a key until it is enabled again.")
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try DataStores.keyStore().disable(name: name)
            print("Disabled key '\(name)'.")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept a disabled key again.")
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try DataStores.keyStore().enable(name: name)
            print("Enabled key '\(name)'.")
        }
    }

    // MARK: Formatting

    static func expiryDate(after text: String) throws -> Date {
        let duration: Duration
        do {
            duration = try DurationParser.parse(text)
        } catch {
            throw CLIError("--expires \(text): \(error.message)")
        }
        guard duration > .zero else { throw CLIError("--expires \(text): the lifetime must be longer than zero") }
        let (seconds, attoseconds) = duration.components
        return Date().addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Everything `keys list` may show: never the hash.
    static func json(_ record: KeyRecord) -> [String: JSONValue] {
        func date(_ value: Date?) -> JSONValue { value.map { .string(rfc3339($0)) } ?? .null }
        return [
            "name": .string(record.name),
            "prefix": .string(record.prefix),
            "state": .string(record.state.rawValue),
            "created_at": date(record.createdAt),
            "rotated_at": date(record.rotatedAt),
            "last_used_at": date(record.lastUsedAt),
            "expires_at": date(record.expiresAt),
            "models": .array(record.models.map(JSONValue.string)),
            "rpm": record.rpm.map { .integer(Int64($0)) } ?? .null,
            "tpm": record.tpm.map { .integer(Int64($0)) } ?? .null,
            "budget_usd": record.budgetUSD.map(JSONValue.double) ?? .null,
            "budget_period": record.budgetPeriod.map { .string($0.rawValue) } ?? .null,
        ]
    }

    static func printJSON(_ value: JSONValue) {
        print(String(decoding: value.serialized(sortingKeys: true), as: UTF8.self))
    }

    static func modelsText(_ record: KeyRecord) -> String {
        record.models.isEmpty ? "all" : record.models.joined(separator: ",")
    }

    static func limitsText(_ record: KeyRecord) -> String {
        var parts: [String] = []
        if let rpm = record.rpm { parts.append("\(rpm) rpm") }
        if let tpm = record.tpm { parts.append("\(tpm) tpm") }
        if let budget = record.budgetUSD {
            parts.append(String(format: "$%.2f/%@", budget, (record.budgetPeriod ?? .month).rawValue))
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func displayDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

extension KeyRecord.BudgetPeriod: ExpressibleByArgument {}
