import Foundation
import Logging
import RouterCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The append-only spend ledger `spend.jsonl` in the state directory: one JSON line per settled
/// request with a cost, `{"key":…,"at":…,"usd":…}`, replayed at start so a restart or a crash
/// never resets a budget.
///
/// Appends never wait for the disk: they queue, and a serial writer writes each batch and
/// fsyncs it. Compaction swaps in a file of per-key daily totals (temp file, fsync, rename).
package final class SpendJournal: @unchecked Sendable {
    package static let fileName = "spend.jsonl"

    package let path: String
    private let logger: Logger
    private let writer = DispatchQueue(label: "localrouter.spend-journal")
    private let state = Mutex(State())
    /// Touched only on `writer`.
    private var fileDescriptor: Int32 = -1

    private struct State {
        var pendingLines: [String] = []
        var pendingRewrite: [SpendHistory.Entry]?
        var drainScheduled = false
        var linesSinceCompaction = 0
        var closed = false
        var lastFailure: String?
    }

    /// Opens (creating, 0600 in a 0700 directory) the ledger in `directory`.
    package init(directory: String, logger: Logger) throws {
        self.path = directory + "/" + Self.fileName
        self.logger = logger
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        fileDescriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fileDescriptor >= 0 else {
            throw SpendJournalError(message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if fileDescriptor >= 0 { Glibc.close(fileDescriptor) }
    }

    /// Every entry in the file; a torn or foreign line (a crash mid-write) is skipped and counted.
    package func load() throws -> (entries: [SpendHistory.Entry], skippedLines: Int) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SpendJournalError(message: "cannot read \(path): \(error.localizedDescription)")
        }
        var entries: [SpendHistory.Entry] = []
        var skipped = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let json = try? JSONValue.parse(Array(line)), let key = json["key"]?.stringValue,
                let at = json["at"]?.doubleValue, let usd = json["usd"]?.doubleValue, usd.isFinite
            else {
                skipped += 1
                continue
            }
            entries.append(SpendHistory.Entry(keyName: key, at: Date(timeIntervalSince1970: at), usd: usd))
        }
        state.withLock { $0.linesSinceCompaction = entries.count + skipped }
        return (entries, skipped)
    }

    /// Lines written since the last compaction (or in the file at load).
    package var linesSinceCompaction: Int { state.withLock { $0.linesSinceCompaction } }

    package func append(_ entry: SpendHistory.Entry) {
        let line = Self.line(entry)
        let schedule = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pendingLines.append(line)
            state.linesSinceCompaction += 1
            defer { state.drainScheduled = true }
            return !state.drainScheduled
        }
        if schedule { writer.async { self.drain() } }
    }

    /// Replaces the file's content with `entries` (the caller's complete history): lines appended
    /// before this call are dropped, as `entries` already includes them; later ones follow.
    package func compact(to entries: [SpendHistory.Entry]) {
        let schedule = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pendingLines.removeAll()
            state.pendingRewrite = entries
            state.linesSinceCompaction = entries.count
            defer { state.drainScheduled = true }
            return !state.drainScheduled
        }
        if schedule { writer.async { self.drain() } }
    }

    /// Returns once everything appended before the call is on disk.
    package func waitUntilDurable() {
        writer.sync { self.drain() }
    }

    /// Writes what is pending and stops accepting.
    package func close() {
        writer.sync {
            self.drain()
            self.state.withLock { $0.closed = true }
            if self.fileDescriptor >= 0 {
                Glibc.close(self.fileDescriptor)
                self.fileDescriptor = -1
            }
        }
    }

    /// Runs on `writer`.
    private func drain() {
        let (lines, rewrite) = state.withLock { state -> ([String], [SpendHistory.Entry]?) in
            defer {
                state.pendingLines = []
                state.pendingRewrite = nil
                state.drainScheduled = false
            }
            return (state.pendingLines, state.pendingRewrite)
        }
        do {
            if let rewrite { try replaceFile(with: rewrite) }
            if !lines.isEmpty {
                try write(lines.joined(), to: fileDescriptor)
                guard fsync(fileDescriptor) == 0 else { throw failure("fsync") }
            }
        } catch {
            let message = "\(error)"
            let isNew = state.withLock { state -> Bool in
                defer { state.lastFailure = message }
                return state.lastFailure != message
            }
            if isNew { logger.error("spend ledger write failed; budgets may undercount after a restart", metadata: ["error": "\(message)"]) }
        }
    }

    private func replaceFile(with entries: [SpendHistory.Entry]) throws {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("open \(temporary)") }
        do {
            try write(entries.map(Self.line).joined(), to: descriptor)
            guard fsync(descriptor) == 0 else { throw failure("fsync \(temporary)") }
        } catch {
            Glibc.close(descriptor)
            unlink(temporary)
            throw error
        }
        Glibc.close(descriptor)
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary)") }
        // The rename itself must survive a crash.
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            Glibc.close(directory)
        }
        let reopened = open(path, O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard reopened >= 0 else { throw failure("reopen") }
        if fileDescriptor >= 0 { Glibc.close(fileDescriptor) }
        fileDescriptor = reopened
    }

    private func write(_ text: String, to descriptor: Int32) throws {
        guard descriptor >= 0 else { throw SpendJournalError(message: "the ledger is closed") }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            offset += written
        }
    }

    private func failure(_ operation: String) -> SpendJournalError {
        SpendJournalError(message: "\(operation) \(path): \(String(cString: strerror(errno)))")
    }

    static func line(_ entry: SpendHistory.Entry) -> String {
        let value: JSONValue = [
            "key": .string(entry.keyName),
            "at": .double((entry.at.timeIntervalSince1970 * 1000).rounded() / 1000),
            "usd": .double(entry.usd),
        ]
        return String(decoding: value.serialized(), as: UTF8.self) + "\n"
    }
}

package struct SpendJournalError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var description: String { message }
}
