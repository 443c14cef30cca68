/// An `http://` URL split into what a request needs: where to connect, the `Host` header and the
/// request target. `nil` for anything else (https, user info, a malformed authority), which
/// `UpstreamTransport` leaves to AsyncHTTPClient.
package struct PlainHTTPURL: Sendable, Equatable {
    /// Without IPv6 brackets, ready for a socket address or a resolver.
    package var host: String
    package var port: Int
    /// The authority as written (`host:port`, `[::1]:8080`), for the `Host` header.
    package var hostHeader: String
    /// Path and query, starting with `/`; the fragment is dropped.
    package var target: String

    package init?(_ url: String) {
        let bytes = Array(url.utf8)
        let scheme = Array("http://".utf8)
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 })
        else { return nil }
        let rest = bytes[scheme.count...]
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }

        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return nil }
                portBytes = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
            hostBytes = authority[authority.startIndex..<colon]
            portBytes = authority[(colon + 1)...]
        } else {
            hostBytes = authority
        }
        guard !hostBytes.isEmpty, !hostBytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return nil }
        var port = 80
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            port = portBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard (1...65535).contains(port) else { return nil }
        }
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: UInt8(ascii: "#")) { target = target[target.startIndex..<hash] }
        guard !target.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }

        self.host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
        self.hostHeader = String(decoding: authority, as: UTF8.self)
        self.target = target.first == UInt8(ascii: "/") ? String(decoding: target, as: UTF8.self) : "/" + String(decoding: target, as: UTF8.self)
    }
}
