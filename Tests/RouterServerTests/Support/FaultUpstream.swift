import Foundation
import RouterCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP upstream on 127.0.0.1:0 for byte-level faults that a well-behaved HTTP server
/// cannot produce: every connection gets its own thread, which reads one HTTP request and hands
/// the request's `model` and the connection to `script`, which writes whatever bytes it likes
/// (none, garbage, half a response) and may end with a TCP reset. The connection is closed when
/// the script returns.
final class FaultUpstream: Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = Mutex(0)

    /// How many connections were accepted so far.
    var acceptedConnections: Int { accepted.withLock { $0 } }

    convenience init(script: @escaping @Sendable (_ model: String, _ connection: FaultConnection) -> Void) throws {
        try self.init(keepAlive: { model, _, connection in
            script(model, connection)
            return false
        })
    }

    /// Serves request after request on a connection while `script` returns true; `index` counts
    /// the requests on that connection from 0.
    init(keepAlive script: @escaping @Sendable (_ model: String, _ index: Int, _ connection: FaultConnection) -> Bool) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 512) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        Thread { [self] in
            while true {
                let descriptor = accept(listener, nil, nil)
                if descriptor < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return  // The listener was shut down.
                }
                self.accepted.withLock { $0 += 1 }
                Thread {
                    let connection = FaultConnection(descriptor: descriptor)
                    var index = 0
                    while let model = connection.readRequestModel(), script(model, index, connection) { index += 1 }
                    connection.closeIfOpen()
                }.start()
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// A port on which nothing listens: connecting is refused at once.
    static func refusingPort() throws -> Int {
        let probe = try FaultUpstream { _, _ in }
        probe.stop()
        return probe.port
    }
}

/// One accepted upstream connection, driven by a fault script on its own thread.
final class FaultConnection: @unchecked Sendable {
    private var descriptor: Int32
    /// Bytes received past the last request read (a pipelined or early next request).
    private var pending: [UInt8] = []
    /// The head of the last request read, lowercased.
    private(set) var lastHead = ""

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Reads the request head and its Content-Length body; the body's `model`, or nil if the
    /// peer closed first.
    func readRequestModel() -> String? {
        var received = pending
        pending = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var bodyLength = 0
        while true {
            if headEnd == nil, let range = received.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = String(decoding: received[..<range.lowerBound], as: UTF8.self).lowercased()
                lastHead = head
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    bodyLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headEnd, received.count >= headEnd + bodyLength {
                let body = Array(received[headEnd..<(headEnd + bodyLength)])
                pending = Array(received[(headEnd + bodyLength)...])
                return (try? JSONValue.parse(body))?["model"]?.stringValue ?? ""
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            received += buffer[0..<count]
        }
    }

    /// Writes bytes; false once the peer is gone (never raises SIGPIPE).
    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// A response head with `Connection: close`, so the router never pools a faulty connection.
    @discardableResult
    func writeHead(status: Int = 200, contentType: String, contentLength: Int? = nil) -> Bool {
        var head = "HTTP/1.1 \(status) X\r\ncontent-type: \(contentType)\r\nconnection: close\r\n"
        if let contentLength { head += "content-length: \(contentLength)\r\n" }
        return write(head + "\r\n")
    }

    /// The fault's own pacing (the upstream being slow), not a test waiting for something.
    func pause(milliseconds: Int) {
        usleep(useconds_t(milliseconds * 1000))
    }

    /// Whether the router has closed this connection: a read sees EOF or a reset without waiting.
    var peerClosed: Bool { isPeerClosed(descriptor) }

    /// Ends the connection with a TCP RST rather than a FIN.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        closeIfOpen()
    }

    func closeIfOpen() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
