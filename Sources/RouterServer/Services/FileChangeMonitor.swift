import Foundation

/// Notices when a file is created, replaced (editors and our own atomic writes rename a new
/// file into place) or rewritten, by polling its inode, size and modification time. Polling
/// twice a second costs nothing measurable and works on every filesystem, unlike inotify on
/// some network and container mounts.
package struct FileChangeMonitor: Sendable {
    package struct Signature: Sendable, Equatable {
        var exists: Bool
        var inode: UInt64
        var size: Int64
        var modified: Double
    }

    package let path: String

    package init(path: String) {
        self.path = path
    }

    package func signature() -> Signature {
        var info = stat()
        guard stat(path, &info) == 0 else { return Signature(exists: false, inode: 0, size: 0, modified: 0) }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return Signature(exists: true, inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: modified)
    }

    /// Calls `onChange` after each change, until the task is cancelled.
    package func watch(every interval: Duration = .milliseconds(500), onChange: @Sendable () async -> Void) async {
        var last = signature()
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let current = signature()
            if current != last {
                last = current
                await onChange()
            }
        }
    }
}
