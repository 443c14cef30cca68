import NIOCore

/// Which requests need an `lr-` key (SPEC §4): every `/v1/` route; `/health/providers` and
/// `/metrics` only from clients that are not on this machine; `/health` and anything else never.
package enum AuthPolicy {
    /// `clientIsLoopback` is only evaluated for the endpoints that depend on it.
    package static func requiresKey(path: String, clientIsLoopback: @autoclosure () -> Bool) -> Bool {
        if path == "/v1" || path.hasPrefix("/v1/") { return true }
        if path == "/health/providers" || path == "/metrics" { return !clientIsLoopback() }
        return false
    }

    /// Loopback (127.0.0.0/8, ::1, IPv4-mapped loopback) or a Unix socket. Unknown counts as remote.
    package static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let address)?:
            // sin_addr is in network byte order: the first octet is the lowest byte in memory.
            return withUnsafeBytes(of: address.address.sin_addr) { $0.first == 127 }
        case .v6(let address)?:
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
            let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
            return bytes == loopback || (Array(bytes.prefix(12)) == mappedPrefix && bytes[12] == 127)
        case .unixDomainSocket?:
            return true
        case nil:
            return false
        }
    }
}
