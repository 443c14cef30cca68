import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for hostile-input tests: it sends exactly the bytes it is given, as
/// slowly as it is told. It runs on a thread of its own (`RawClient.run`) so its blocking calls
/// never occupy the cooperative pool the in-process router needs.
final class RawClient {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        // No test may hang on a read: 5 s at most.
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Runs `body` with a fresh connection on its own thread.
    static func run<Result: Sendable>(port: Int, _ body: @escaping @Sendable (RawClient) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let client = try RawClient(port: port)
                    continuation.resume(returning: try body(client))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    /// False once the peer has closed or reset the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Everything the peer sends until it closes the connection (or the 5 s read limit).
    func readUntilClosed() -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// What one read returns (at most `count` bytes; waits for the first, up to the 5 s limit).
    func read(upTo count: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: count)
        let received = recv(descriptor, &buffer, count, 0)
        return String(decoding: buffer[0..<max(0, received)], as: UTF8.self)
    }

    /// Whether the peer has closed the connection: a read sees EOF or a reset without waiting.
    var peerClosed: Bool { isPeerClosed(descriptor) }

    /// The client's own pacing (it is the slow one under test), not a test waiting for a result.
    func pause(milliseconds: Int) {
        usleep(useconds_t(milliseconds * 1000))
    }
}

/// Whether the other end of a connected socket has closed or reset it: a read sees EOF or an
/// error without waiting. Shared by the raw client and the fault upstream.
func isPeerClosed(_ descriptor: Int32) -> Bool {
    var byte: UInt8 = 0
    let count = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
    return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
}
