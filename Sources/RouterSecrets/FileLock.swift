import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a `<file>.lock` sidecar, so the CLI and the daemon never interleave
/// read-modify-write cycles. Each use opens its own file description, so two instances in one
/// process exclude each other too. The sidecar is never deleted (deleting lock files races).
package struct FileLock: Sendable {
    package let lockURL: URL
    package let timeout: Duration

    package init(protecting url: URL, timeout: Duration = .seconds(10)) {
        lockURL = URL(fileURLWithPath: url.path + ".lock")
        self.timeout = timeout
    }

    package func withExclusiveLock<Result>(_ body: () throws -> Result) throws -> Result {
        let path = lockURL.path
        try FileSystem.makeDirectory(FileSystem.directory(of: path))
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SecretsError.system("open lock file", path: path) }
        // Closing the descriptor releases the lock.
        defer { close(descriptor) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Poll rather than block so a stuck holder produces an error instead of a hang.
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw SecretsError.system("lock", path: path)
            }
            guard clock.now < deadline else {
                throw SecretsError(.lockTimeout, "\(path) is still locked by another localrouter process after \(timeout)")
            }
            usleep(2_000)
        }
        return try body()
    }
}
