import ArgumentParser
import Foundation
import RouterCore
import RouterSecrets

#if canImport(Glibc)
import Glibc
#endif

/// `localrouter secrets …`: upstream API keys kept in `secrets.enc`, referenced from the config
/// as `api_key: secret:NAME` (SPEC §2, §6). Values are never printed.
struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Store upstream API keys encrypted, for `api_key: secret:NAME` in the config.",
        subcommands: [SetSecret.self, List.self, Remove.self])

    struct SetSecret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Store a secret read from stdin (one trailing newline is dropped), e.g. `pass show openai | localrouter secrets set openai`.")

        @Argument(help: "The secret's name, as used in `secret:NAME`.")
        var name: String

        func run() throws {
            let store = try DataStores.secretStore()
            let value = try SecretsCommand.readValue(for: name)
            guard !value.isEmpty else { throw CLIError("nothing read from stdin: the secret was not stored") }
            try store.set(name: name, value: value)
            print("Stored secret '\(name)'. Reference it in the config as `api_key: secret:\(name)`; a running daemon uses it after its next reload.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the stored secrets' names and when each was set (never the values).")

        @Flag(name: .long, help: "Print a JSON array instead of a table.")
        var json = false

        func run() throws {
            let summaries = try DataStores.existingSecretStore()?.summaries() ?? []
            if json {
                let items: [JSONValue] = summaries.map { ["name": .string($0.name), "updated_at": .string(KeysCommand.rfc3339($0.updatedAt))] }
                KeysCommand.printJSON(.array(items))
                return
            }
            guard !summaries.isEmpty else {
                print("No secrets yet. Store one with: localrouter secrets set NAME   (the value is read from stdin)")
                return
            }
            let width = max(4, summaries.map(\.name.count).max() ?? 0)
            print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  UPDATED")
            for summary in summaries {
                print(summary.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + KeysCommand.displayDate(summary.updatedAt))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a stored secret.")
        @Argument(help: "The secret's name.") var name: String

        func run() throws {
            try DataStores.secretStore().remove(name: name)
            print("Removed secret '\(name)'.")
        }
    }

    /// All of stdin minus one trailing newline; on a terminal, one line typed without echo.
    static func readValue(for name: String) throws -> String {
        var text: String
        if isatty(STDIN_FILENO) == 1 {
            text = readLineWithoutEcho(prompt: "Value for secret '\(name)' (input hidden): ") ?? ""
        } else {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        if text.hasSuffix("\r\n") {
            text.removeLast(2)
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text
    }

    private static func readLineWithoutEcho(prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        let canHide = tcgetattr(STDIN_FILENO, &original) == 0
        if canHide {
            var hidden = original
            hidden.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
        }
        defer {
            if canHide { tcsetattr(STDIN_FILENO, TCSAFLUSH, &original) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
