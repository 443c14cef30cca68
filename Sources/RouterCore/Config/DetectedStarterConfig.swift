/// The config `localrouter init` writes when it found providers to use: API keys in the
/// environment (written as `${VAR}` references, never their values) and a local Ollama,
/// each with a few models, plus a `default` fallback route over them that ends with the
/// offline mock so the route answers even before any key works.
package struct DetectedStarterConfig: Sendable, Equatable {
    /// A hosted provider whose key variable is set.
    package struct KeyedProvider: Sendable, Equatable {
        package var name: String
        package var type: ProviderType
        package var variable: String
        package var models: [String]
    }

    package var keyed: [KeyedProvider] = []
    /// Ollama's base URL and models, when it answered.
    package var ollama: (baseURL: String, models: [String])?

    /// In the order the fallback route tries them: hosted providers first (they answer every
    /// model well), the local one after, the mock last.
    package static let knownKeys: [KeyedProvider] = [
        .init(name: "anthropic", type: .anthropic, variable: "ANTHROPIC_API_KEY", models: ["claude-sonnet-4-5"]),
        .init(name: "openai", type: .openai, variable: "OPENAI_API_KEY", models: ["gpt-4.1-mini", "gpt-4.1"]),
        .init(name: "gemini", type: .gemini, variable: "GEMINI_API_KEY", models: ["gemini-2.5-flash"]),
        .init(name: "openrouter", type: .openrouter, variable: "OPENROUTER_API_KEY", models: ["openai/gpt-4.1-mini"]),
    ]

    package init(environment: [String: String], ollama: (baseURL: String, models: [String])?) {
        keyed = Self.knownKeys.filter { !(environment[$0.variable] ?? "").isEmpty }
        self.ollama = ollama
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.keyed == rhs.keyed && lhs.ollama?.baseURL == rhs.ollama?.baseURL && lhs.ollama?.models == rhs.ollama?.models
    }

    package var foundAnything: Bool { !keyed.isEmpty || ollama != nil }

    /// What was found, one line each, for the file header and init's output.
    package var findings: [String] {
        keyed.map { "\($0.variable) in the environment -> provider '\($0.name)'" }
            + (ollama.map { ["Ollama at \($0.baseURL) with \($0.models.count) model(s) -> provider 'ollama'"] } ?? [])
    }

    package var routeTargets: [String] {
        keyed.map { "\($0.name)/\($0.models[0])" } + (ollama?.models.first.map { ["ollama/\($0)"] } ?? []) + ["mock/echo"]
    }

    package var yaml: String {
        var lines: [String] = [
            "# yaml-language-server: $schema=./config.schema.json",
            "#",
            "# LocalRouter configuration (version 1), written by `localrouter init` from what it found:",
        ]
        lines += findings.map { "#   - \($0)" }
        lines += [
            "#",
            "# API keys are read from the environment (${VAR}) when the daemon starts; their values are",
            "# not stored here. A systemd service does not see your shell's environment: put VAR=value",
            "# lines in ~/.config/localrouter/environment (chmod 600), or store a key encrypted with",
            "# `localrouter secrets set NAME` and write `api_key: secret:NAME` instead.",
            "# Every option is described in config.example.yaml; check edits with `localrouter config check`.",
            "",
            "version: 1",
            "",
            "server:",
            "  listen: 127.0.0.1:3625   # a non-loopback address also needs allow_remote: true",
            "  allow_remote: false",
            "  request_timeout: 600s    # the whole request, streams included",
            "  shutdown_grace: 10s      # on SIGTERM, time in-flight requests get to finish",
            "  max_body: 16MiB",
            "",
            "providers:",
        ]
        for provider in keyed {
            lines += [
                "  \(provider.name):",
                "    type: \(provider.type.rawValue)",
                "    api_key: ${\(provider.variable)}",
                "    models: [\(provider.models.map(Self.quoted).joined(separator: ", "))]   # leave out to discover them all",
            ]
        }
        if let ollama {
            lines += ["  ollama:", "    type: ollama                # models discovered from /api/tags"]
            if ollama.baseURL != ProviderType.ollama.defaultBaseURL {
                lines.append("    base_url: \(Self.quoted(ollama.baseURL))")
            }
        }
        lines += [
            "  mock:",
            "    type: mock                  # offline test double: model `echo` answers with your message",
            "    models: [echo]",
            "",
            "routes:",
            "  default:",
            "    strategy: fallback          # try the targets in order, the next one on failure",
            "    targets:",
        ]
        lines += routeTargets.map { target in
            "      - \(Self.quoted(target))" + (target == "mock/echo" ? "   # last resort, answers offline; remove once your providers work" : "")
        }
        lines += [
            "",
            "health:",
            "  interval: 30s",
            "  failure_threshold: 3",
            "  cooldown: 30s",
            "",
            "retry:",
            "  attempts: 3",
            "",
            "logging:",
            "  access_log: true",
            "  retention_days: 30",
            "  level: info",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Where to look for Ollama, the way its own CLI reads `OLLAMA_HOST`: `host`, `host:port`
    /// or a URL; `0.0.0.0` (a bind address) means this machine.
    package static func ollamaBaseURL(ollamaHost: String?) -> String {
        let fallback = ProviderType.ollama.defaultBaseURL!
        guard var value = ollamaHost.map({ String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }),
            !value.isEmpty
        else { return fallback }
        var scheme = "http"
        if let range = value.range(of: "://") {
            scheme = String(value[..<range.lowerBound])
            value = String(value[range.upperBound...])
        }
        while value.hasSuffix("/") { value.removeLast() }
        var host = value
        var port = scheme == "https" ? "443" : "11434"
        if let colon = value.lastIndex(of: ":"), !value.hasSuffix("]") {
            host = String(value[..<colon])
            port = String(value[value.index(after: colon)...])
        }
        if host.isEmpty || host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "[::]" { host = "[::1]" }
        return "\(scheme)://\(host):\(port)"
    }

    /// A YAML double-quoted scalar: model names may hold `:` (Ollama tags) or `/`.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
