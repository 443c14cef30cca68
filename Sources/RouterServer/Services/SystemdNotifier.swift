#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells systemd how the daemon is doing (`sd_notify(3)`), written by hand to avoid linking
/// libsystemd: one datagram per message to `$NOTIFY_SOCKET`. Without that variable (not run
/// by systemd with `Type=notify`) every call does nothing.
package struct SystemdNotifier: Sendable {
    /// The socket path; a leading `@` names a socket in the abstract namespace.
    package let socketPath: String?
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises; nil when the watchdog is off or meant for another process.
    package let watchdogInterval: Duration?

    package init(environment: [String: String], processID: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path.flatMap { $0.hasPrefix("/") || $0.hasPrefix("@") ? $0 : nil }
        watchdogInterval = Self.watchdogInterval(environment: environment, processID: processID)
    }

    static func watchdogInterval(environment: [String: String], processID: Int32) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != processID { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    package var isEnabled: Bool { socketPath != nil }

    package func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }

    /// Sent before a reload starts; systemd (≥ 253) matches it with the next `READY=1`.
    package func reloading(status: String = "reloading configuration") {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", "STATUS=\(status)"])
    }

    package func stopping(status: String = "draining in-flight requests") { send(["STOPPING=1", "STATUS=\(status)"]) }

    package func watchdog() { send(["WATCHDOG=1"]) }

    package func status(_ status: String) { send(["STATUS=\(status)"]) }

    /// Sends `fields` as one newline-separated datagram. Failures are returned, not thrown:
    /// a daemon must keep serving when its supervisor's socket goes away.
    @discardableResult
    package func send(_ fields: [String]) -> Bool {
        guard let socketPath else { return false }
        let message = Array(fields.joined(separator: "\n").utf8)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }  // Abstract names start with a NUL byte instead.
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        // Abstract names are exactly as long as given; filesystem paths include their NUL.
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))
        // MSG_DONTWAIT: a supervisor that stops reading must not block an event loop (a full
        // datagram queue would otherwise stall every request behind a watchdog ping).
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), socketAddress, length)
                }
            }
        }
        return sent == message.count
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
