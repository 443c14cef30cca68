import Foundation

/// `localrouter.pid` in the runtime directory: how `localrouter reload` finds the daemon.
/// Written once the server listens (so a second daemon that fails to bind never overwrites
/// the running one's) and removed at exit.
package struct PidFile: Sendable {
    package static let fileName = "localrouter.pid"

    package let path: String

    package init(runtimeDirectory: String) {
        path = runtimeDirectory + "/" + Self.fileName
    }

    package func write(processID: Int32 = getpid()) throws {
        try RuntimeFile.write("\(processID)\n", to: path)
    }

    package func read() -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Leaves the file alone if another daemon has taken it over since.
    package func remove(processID: Int32 = getpid()) {
        guard read() == processID else { return }
        unlink(path)
    }
}

/// Small files in the runtime directory, written whole by rename so readers never see half.
enum RuntimeFile {
    static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }
}
