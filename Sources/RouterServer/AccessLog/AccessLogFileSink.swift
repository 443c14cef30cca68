import Foundation
import Glibc

/// Owns the open day file. Used by one thread at a time: `AccessLogWriter.init`'s caller,
/// then only the writer thread (hence `@unchecked Sendable`).
final class AccessLogFileSink: @unchecked Sendable {
    /// Lines are gathered into writes of at most this many bytes. Each `write(2)` holds whole lines
    /// only and the file is `O_APPEND`, so another writer (a second daemon) can never interleave
    /// inside a line.
    static let maximumWriteSize = 64 * 1024

    let directory: String
    let retentionDays: Int
    private var offsetCache: AccessLogUTCOffsetCache
    private var currentDay: Int?
    private var fileDescriptor: Int32 = -1
    private var buffer: [UInt8] = []
    private var failures = 0
    private var failureDescription: String?

    init(directory: String, retentionDays: Int, timeZone: TimeZone?) throws {
        self.directory = directory
        self.retentionDays = max(0, retentionDays)
        self.offsetCache = AccessLogUTCOffsetCache(timeZone: timeZone)
        buffer.reserveCapacity(Self.maximumWriteSize + 4096)
        try Self.createPrivateDirectory(directory)
    }

    static func fileName(dayNumber: Int) -> String {
        "access-\(AccessLogTimestamp.dayString(dayNumber: dayNumber)).jsonl"
    }

    /// The day number in an `access-YYYY-MM-DD.jsonl` name; nil for any other name.
    static func dayNumber(fileName: String) -> Int? {
        guard fileName.hasPrefix("access-"), fileName.hasSuffix(".jsonl"), fileName.utf8.count == 23 else {
            return nil
        }
        return AccessLogTimestamp.dayNumber(parsing: fileName.dropFirst(7).prefix(10))
    }

    func localDayNumber(_ date: Date) -> Int {
        AccessLogTimestamp.localDayNumber(date, utcOffsetSeconds: offsetCache.offset(for: date))
    }

    /// Deletes day files older than `retentionDays` before `today`, judged by the date in the name
    /// (with 30, a file from 30 days ago stays and one from 31 days ago goes), so every line is kept
    /// at least `retentionDays` whole days. Returns the names deleted.
    @discardableResult
    func applyRetention(today: Int) -> [String] {
        let oldestKept = today - retentionDays
        var deleted: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() {
            guard let day = Self.dayNumber(fileName: name), day < oldestKept else { continue }
            if unlink(directory + "/" + name) == 0 {
                deleted.append(name)
            } else {
                noteFailure("cannot delete \(name): \(String(cString: strerror(errno)))", lines: 0)
            }
        }
        return deleted
    }

    /// Writes a batch; returns how many lines were lost to I/O errors and the latest error.
    func write(_ lines: [AccessLogQueue.PendingLine], sync: Bool) -> (failures: Int, description: String?) {
        failures = 0
        failureDescription = nil
        var linesInBuffer = 0
        for line in lines {
            let day = localDayNumber(line.appendedAt)
            if day != currentDay {
                writeBuffer(lines: linesInBuffer)
                linesInBuffer = 0
                switchDay(to: day)
            }
            let offset = offsetCache.offset(for: line.record.timestamp)
            line.record.appendJSONLine(to: &buffer, utcOffsetSeconds: offset)
            linesInBuffer += 1
            if buffer.count >= Self.maximumWriteSize {
                writeBuffer(lines: linesInBuffer)
                linesInBuffer = 0
            }
        }
        writeBuffer(lines: linesInBuffer)
        if sync && fileDescriptor >= 0 && fsync(fileDescriptor) != 0 {
            noteFailure("fsync failed: \(String(cString: strerror(errno)))", lines: 0)
        }
        return (failures, failureDescription)
    }

    func closeFile() {
        if fileDescriptor >= 0 {
            _ = fsync(fileDescriptor)
            _ = Glibc.close(fileDescriptor)
            fileDescriptor = -1
        }
    }

    private func switchDay(to day: Int) {
        let isRotation = currentDay.map { day > $0 } ?? false
        closeFile()
        currentDay = day
        if isRotation {
            applyRetention(today: day)
        }
    }

    private func openCurrentFile() -> Bool {
        if fileDescriptor >= 0 { return true }
        guard let day = currentDay else { return false }
        let path = directory + "/" + Self.fileName(dayNumber: day)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            failureDescription = "cannot open \(path): \(String(cString: strerror(errno)))"
            return false
        }
        fileDescriptor = descriptor
        // Make a newly created file's directory entry durable too.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            _ = Glibc.close(directoryDescriptor)
        }
        return true
    }

    private func writeBuffer(lines: Int) {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        guard openCurrentFile() else {
            failures += lines
            return
        }
        let result: Int32 = buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return 0
        }
        if result != 0 {
            noteFailure("write failed: \(String(cString: strerror(result)))", lines: lines)
            // Reopen next time: the descriptor may be unusable (file removed, disk gone).
            _ = Glibc.close(fileDescriptor)
            fileDescriptor = -1
        }
    }

    private func noteFailure(_ description: String, lines: Int) {
        failures += lines
        failureDescription = description
    }

    /// Creates `path` and any missing parents with mode 0700 (an existing directory is left as is).
    private static func createPrivateDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw AccessLogError.cannotCreateDirectory(path: prefix, reason: String(cString: strerror(errno)))
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AccessLogError.cannotCreateDirectory(path: path, reason: "not a directory")
        }
    }
}
