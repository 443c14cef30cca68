extension ListenAddress {
    /// Parses `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:3625`); the brackets are
    /// not kept in `host`. Used for `server.listen` and `serve --listen`.
    package static func parse(_ text: String) throws(ConfigValueProblem) -> ListenAddress {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigValueProblem("invalid listen address '\(text)': missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ConfigValueProblem("invalid listen address '\(text)': expected HOST:PORT, e.g. [::1]:3625")
            }
            portText = rest.dropFirst()
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }) else {
                throw ConfigValueProblem("invalid listen address '\(text)': '\(host)' is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigValueProblem("invalid listen address '\(text)': expected HOST:PORT, e.g. 127.0.0.1:3625")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ConfigValueProblem(
                    "invalid listen address '\(text)': put an IPv6 address in brackets, e.g. [\(host)]:\(portText)")
            }
            guard !host.isEmpty else {
                throw ConfigValueProblem("invalid listen address '\(text)': missing host, e.g. 127.0.0.1\(text)")
            }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
                throw ConfigValueProblem("invalid listen address '\(text)': '\(host)' is not a host name or IP address")
            }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else {
            throw ConfigValueProblem("invalid listen address '\(text)': port must be a number from 0 to 65535")
        }
        return ListenAddress(host: String(host), port: port)
    }
}
