import Foundation
import Testing

@testable import RouterCore

/// Loads `yaml` and returns the rendered diagnostics, or [] when it loads.
private func problems(_ yaml: String, environment: [String: String] = [:]) -> [String] {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: "config.yaml", environment: environment)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

private func load(_ yaml: String, environment: [String: String] = [:]) throws -> Configuration {
    try ConfigLoader.parse(yaml: yaml, file: "config.yaml", environment: environment)
}

enum ConfigTestFiles {
    /// The repository root, found from this file's place in `Tests/RouterCoreTests/`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

@Suite struct ConfigLoaderTests {
    @Test func minimalConfigGetsEveryDefault() throws {
        let configuration = try load("version: 1\n")
        #expect(configuration == Configuration())
        #expect(configuration.server.listen == ListenAddress(host: "127.0.0.1", port: 3625))
        #expect(configuration.server.requestTimeout == .seconds(600))
        #expect(configuration.server.maxBody == 16 * 1024 * 1024)
        #expect(configuration.retry.attempts == 3)
        #expect(configuration.health.failureThreshold == 3)
        #expect(configuration.logging.level == "info")
        #expect(configuration.providers.isEmpty)
        #expect(configuration.sourcePath == nil)
    }

    @Test func fullConfigIsReadInFileOrder() throws {
        let yaml = """
            version: 1
            server:
              listen: "[::1]:4000"
              request_timeout: 1m30s
              shutdown_grace: 0
              max_body: 512KiB
            providers:
              openai:
                type: openai
                api_key: ${OPENAI_API_KEY}
                models: [gpt-4.1, gpt-4.1-mini]
                timeout: 1.5s
                headers: {X-Title: "router ${USER}"}
              claude:
                type: anthropic
                api_key: secret:anthropic
              local:
                type: ollama
              compat:
                type: openai-compatible
                base_url: http://127.0.0.1:8000/v1/
              mock:
                type: mock
            routes:
              smart:
                strategy: round-robin
                targets:
                  - claude/claude-sonnet-4-5
                  - { target: openai/gpt-4.1, weight: 2.5 }
              default:
                targets: [mock/echo]
            health: {interval: 10s, failure_threshold: 5, cooldown: 500ms}
            retry: {attempts: 2}
            limits: {rpm: 60, tpm: 100000}
            pricing:
              openai/gpt-4.1: { input: 2.0, output: 8 }
            logging: {access_log: false, retention_days: 7, level: debug}
            """
        let configuration = try load(yaml, environment: ["OPENAI_API_KEY": "sk-test", "USER": "ada"])
        #expect(configuration.server.listen == ListenAddress(host: "::1", port: 4000))
        #expect(configuration.server.listen.description == "[::1]:4000")
        #expect(configuration.server.requestTimeout == .seconds(90))
        #expect(configuration.server.shutdownGrace == .zero)
        #expect(configuration.server.maxBody == 512 * 1024)
        #expect(configuration.providers.map(\.name) == ["openai", "claude", "local", "compat", "mock"])

        let openai = try #require(configuration.provider(named: "openai"))
        #expect(openai.type == .openai)
        #expect(openai.apiKey == .value("sk-test"))
        #expect(openai.baseURL == "https://api.openai.com/v1")
        #expect(openai.models == ["gpt-4.1", "gpt-4.1-mini"])
        #expect(openai.timeout == .milliseconds(1500))
        #expect(openai.headers == ["X-Title": "router ada"])

        let claude = try #require(configuration.provider(named: "claude"))
        #expect(claude.apiKey == .secret(name: "anthropic"))
        #expect(claude.baseURL == "https://api.anthropic.com/v1")
        #expect(claude.models == nil)
        #expect(claude.timeout == .seconds(60))
        #expect(configuration.provider(named: "local")?.baseURL == "http://127.0.0.1:11434")
        #expect(configuration.provider(named: "local")?.apiKey == nil)
        #expect(configuration.provider(named: "compat")?.baseURL == "http://127.0.0.1:8000/v1")
        #expect(configuration.provider(named: "mock")?.baseURL == "mock://local")
        #expect(configuration.provider(named: "mock")?.models == ["echo"])

        #expect(configuration.routes.map(\.name) == ["smart", "default"])
        let smart = try #require(configuration.route(named: "smart"))
        #expect(smart.strategy == .roundRobin)
        #expect(smart.targets == [
            RouteTarget(target: "claude/claude-sonnet-4-5"), RouteTarget(target: "openai/gpt-4.1", weight: 2.5),
        ])
        #expect(configuration.route(named: "default")?.strategy == .fallback)
        #expect(configuration.health.interval == .seconds(10))
        #expect(configuration.health.failureThreshold == 5)
        #expect(configuration.health.cooldown == .milliseconds(500))
        #expect(configuration.retry.attempts == 2)
        #expect(configuration.limits.rpm == 60)
        #expect(configuration.limits.tpm == 100_000)
        #expect(configuration.pricing == ["openai/gpt-4.1": Price(input: 2, output: 8)])
        #expect(configuration.logging.accessLog == false)
        #expect(configuration.logging.retentionDays == 7)
        #expect(configuration.logging.level == "debug")
    }

    @Test func providerTypeDefaultsToItsNameWhenThatIsAType() throws {
        let configuration = try load("""
            version: 1
            providers:
              ollama:
              mock: {}
            """)
        #expect(configuration.providers.map(\.type) == [.ollama, .mock])
    }

    // MARK: - Positions

    @Test func syntaxErrorIsPinnedWhereYAMLFails() {
        let found = problems("""
            version: 1
            providers:
              mock:
                models: [echo, other
            routes: {}
            """)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("config.yaml:5:7: YAML syntax error: did not find expected ',' or ']'") == true)
    }

    /// Found by scripts/fuzz (config): libyaml ends a file without a final line break on a line
    /// after the last, so an unclosed bracket was reported one line past the end of the file.
    @Test func syntaxErrorAtTheEndOfAFileWithoutFinalNewlineStaysInTheFile() {
        #expect(problems("version: 1\nserver: {listen: \"x\"") == [
            "config.yaml:2:21: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at 2:9)"
        ])
        #expect(problems("version: 1\r\nroutes: [a\r\n") == [
            "config.yaml:3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 2:9)"
        ])
    }

    /// Found by scripts/fuzz (config): libyaml also ends lines at NEL, LS and PS (YAML 1.1);
    /// editors do not, so every position after one was a line too far.
    @Test func unicodeLineSeparatorsDoNotShiftLineNumbers() {
        #expect(problems("version: 1\nretry: {attempts: 2}\u{2028}logging:\n  access_log: maybe\n") == [
            "config.yaml:3:15: logging.access_log: expected true or false, got 'maybe'"
        ])
        #expect(problems("a: 1\u{85}b: [c\n") == [
            "config.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 1:9)"
        ])
    }

    @Test func yamlPositionsBecomeEditorPositions() {
        func position(_ line: Int, _ column: Int, _ text: String) -> [Int] {
            let position = SourcePosition(yamlLine: line, yamlColumn: column, in: text)
            return [position.line, position.column]
        }
        #expect(position(2, 3, "ab\ncdef") == [2, 3])
        #expect(position(2, 3, "ab\r\ncdef") == [2, 3])
        #expect(position(2, 3, "ab\rcdef") == [2, 3])
        #expect(position(2, 3, "ab\u{2028}cdef") == [1, 6])
        #expect(position(1, 2, "\u{FEFF}ab") == [1, 2])  // libyaml does not count the byte order mark
        #expect(position(2, 9, "ab\ncd\nef") == [2, 3])  // past the end of its line: that end
        #expect(position(3, 1, "ab\ncd") == [2, 3])  // past the end of the text: its end
        #expect(position(3, 1, "ab\ncd\n") == [3, 1])
    }

    @Test func wrongTypesArePinnedAtTheValue() {
        #expect(problems("version: 1\nretry:\n  attempts: three\n") == [
            "config.yaml:3:13: retry.attempts: expected an integer, got 'three'"
        ])
        #expect(problems("version: 1\nserver: [a, b]\n") == [
            "config.yaml:2:9: server: expected a mapping, got a list"
        ])
        #expect(problems("version: 1\nretry:\n  attempts: \"3\"\n") == [
            "config.yaml:3:13: retry.attempts: expected an integer, got the string \"3\" (remove the quotes)"
        ])
        #expect(problems("version: 1\nlogging:\n  access_log: yes please\n") == [
            "config.yaml:3:15: logging.access_log: expected true or false, got 'yes please'"
        ])
    }

    @Test func unknownKeySuggestsTheClosestOne() {
        let found = problems("""
            version: 1
            providers:
              openai:
                type: openai
                api_key: sk-1
                modles: [gpt-4.1]
            """)
        #expect(found == ["config.yaml:6:5: unknown key 'modles' (did you mean 'models'?)"])
    }

    @Test func unknownKeyFarFromAnyListsTheChoices() {
        #expect(problems("version: 1\nretry:\n  banana: 1\n") == [
            "config.yaml:3:3: unknown key 'banana'; expected one of: attempts"
        ])
    }

    @Test func unsetVariableIsNamed() {
        let yaml = """
            version: 1
            providers:
              openai:
                api_key: ${OPENAI_API_KEY}
            """
        #expect(problems(yaml) == [
            "config.yaml:4:14: providers.openai.api_key: environment variable 'OPENAI_API_KEY' is not set"
        ])
        #expect(problems(yaml, environment: ["OPENAI_API_KEY": "sk-1"]) == [])
    }

    @Test func badDurationIsPinnedAtTheValue() {
        #expect(problems("version: 1\nhealth:\n  interval: 30\n") == [
            "config.yaml:3:13: health.interval: duration '30' needs a unit (ms, s, m, h, d), e.g. '30s'"
        ])
        #expect(problems("version: 1\nhealth:\n  interval: 30y\n") == [
            "config.yaml:3:13: health.interval: unknown duration unit 'y' in '30y' (use ms, s, m, h or d)"
        ])
        #expect(problems("version: 1\nhealth:\n  interval: 0\n") == [
            "config.yaml:3:13: health.interval: must be longer than 0"
        ])
    }

    @Test func badTargetProviderSuggestsTheDefinedOne() {
        let found = problems("""
            version: 1
            providers:
              openai: {api_key: sk-1}
            routes:
              smart:
                targets:
                  - opnai/gpt-4.1
                  - { target: openai, weight: 0 }
            """)
        #expect(found == [
            "config.yaml:7:9: routes.smart.targets[0]: unknown provider 'opnai' in 'opnai/gpt-4.1' (did you mean 'openai'?)",
            "config.yaml:8:35: routes.smart.targets[1].weight: must be greater than 0, got 0",
        ])
    }

    @Test func nonLoopbackListenNeedsAllowRemote() throws {
        #expect(problems("version: 1\nserver:\n  listen: 0.0.0.0:3625\n") == [
            "config.yaml:3:11: server.listen: 0.0.0.0:3625 is not a loopback address; "
                + "set 'allow_remote: true' to accept connections from other machines"
        ])
        let configuration = try load("version: 1\nserver:\n  listen: 0.0.0.0:3625\n  allow_remote: true\n")
        #expect(configuration.server.listen == ListenAddress(host: "0.0.0.0", port: 3625))
        #expect(configuration.server.allowRemote)
    }

    @Test func everyProblemIsReportedInDocumentOrder() {
        let found = problems("""
            version: 2
            server:
              listen: localhost:99999
              max_body: 16MB
            providers:
              openai:
                type: openia
              local:
                type: openai-compatible
            routes:
              local:
                strategy: fastest
                targets: [openai/gpt-4.1]
            retry: {attempts: 0}
            logging: {level: verbose}
            """)
        #expect(found == [
            "config.yaml:1:10: version: unsupported version 2 (this localrouter reads version 1)",
            "config.yaml:3:11: server.listen: invalid listen address 'localhost:99999': port must be a number from 0 to 65535",
            "config.yaml:4:13: server.max_body: unknown size unit 'MB' in '16MB' (use KiB, MiB or GiB)",
            "config.yaml:7:11: providers.openai.type: unknown provider type 'openia' (did you mean 'openai'?)",
            "config.yaml:8:3: provider 'local' (type openai-compatible) needs a base_url, e.g. http://127.0.0.1:8000/v1",
            "config.yaml:11:3: route 'local' has the same name as a provider; rename one of them",
            "config.yaml:12:15: routes.local.strategy: unknown strategy 'fastest'; expected one of: "
                + "fallback, round-robin, weighted, lowest-latency, lowest-cost, least-busy",
            "config.yaml:14:19: retry.attempts: must be at least 1, got 0",
            "config.yaml:15:18: logging.level: unknown log level 'verbose'; expected one of: "
                + "trace, debug, info, notice, warning, error, critical",
        ])
    }

    // MARK: - Rules

    @Test func emptyOrCommentOnlyFileIsAnError() {
        #expect(problems("") == ["config.yaml:1:1: config is empty"])
        #expect(problems("# nothing here\n\n  # still nothing\n") == ["config.yaml:1:1: config is empty"])
    }

    @Test func versionIsRequired() {
        #expect(problems("server:\n  listen: 127.0.0.1:1\n") == [
            "config.yaml:1:1: missing required key 'version' (add 'version: 1' at the top)"
        ])
    }

    @Test func topLevelMustBeAMapping() {
        #expect(problems("- a\n- b\n") == ["config.yaml:1:1: expected a mapping of settings at the top level, got a list"])
    }

    @Test func duplicateKeysAreReported() {
        #expect(problems("version: 1\nretry:\n  attempts: 1\n  attempts: 2\n") == [
            "config.yaml:3:3: duplicate key 'attempts' in the same mapping"
        ])
    }

    @Test func tabIndentationGetsAHint() {
        #expect(problems("version: 1\nretry:\n\tattempts: 1\n") == [
            "config.yaml:3:1: YAML syntax error: found character that cannot start any token "
                + "(while scanning for the next token at 3:1); YAML is indented with spaces, not tabs"
        ])
    }

    @Test func hostedProvidersNeedAKeyAndCompatibleOnesABaseURL() {
        #expect(problems("version: 1\nproviders:\n  gpt:\n    type: openai\n") == [
            "config.yaml:3:3: provider 'gpt' (type openai) needs an api_key: '${OPENAI_API_KEY}' or 'secret:NAME'"
        ])
        #expect(problems("version: 1\nproviders:\n  x:\n    type: openai-compatible\n    base_url: ftp://x\n") == [
            "config.yaml:5:15: providers.x.base_url: expected an http:// or https:// URL, got 'ftp://x'"
        ])
    }

    @Test func providerAndRouteNamesMustNotContainSlash() {
        let found = problems("""
            version: 1
            providers:
              a/b: {type: mock}
            routes:
              c/d: {targets: [a/b]}
            """)
        #expect(found == [
            "config.yaml:3:3: provider name 'a/b' must not contain '/'",
            "config.yaml:5:3: route name 'c/d' must not contain '/'",
            "config.yaml:5:19: routes.c/d.targets[0]: unknown provider 'a' in 'a/b'; defined providers: a/b",
        ])
    }

    @Test func targetsMustBeProviderSlashModel() {
        let found = problems("""
            version: 1
            providers:
              mock: {}
            routes:
              fast: {targets: [mock/echo]}
              slow:
                targets: [mock, fast/x]
              none: {targets: []}
              missing: {strategy: weighted}
            """)
        #expect(found == [
            "config.yaml:7:15: routes.slow.targets[0]: expected provider/model, got 'mock'",
            "config.yaml:7:21: routes.slow.targets[1]: 'fast' is a route, not a provider; targets name a provider",
            "config.yaml:8:19: routes.none.targets: needs at least one target",
            "config.yaml:9:3: route 'missing': missing required key 'targets' (a list of provider/model)",
        ])
    }

    @Test func pricingKeysNameDefinedProviders() {
        let found = problems("""
            version: 1
            providers:
              mock: {}
            pricing:
              mok/echo: {input: 1, output: 2}
              mock/echo: {input: -1}
            """)
        #expect(found == [
            "config.yaml:5:3: pricing.mok/echo: unknown provider 'mok' in 'mok/echo' (did you mean 'mock'?)",
            "config.yaml:6:3: pricing.mock/echo: missing required key 'output' (USD per million tokens)",
            "config.yaml:6:22: pricing.mock/echo.input: must be at least 0, got -1",
        ])
    }

    @Test func variablesExpandInEveryStringAndEscapeWithDoubleDollar() throws {
        let configuration = try load(
            """
            version: 1
            server: {listen: "127.0.0.1:${PORT}"}
            retry: {attempts: "${ATTEMPTS}"}
            providers:
              mock:
                headers: {X-Literal: "$${NOT_A_VAR}", X-Fallback: "${MISSING:-fallback}", X-Cost: "$5"}
            """, environment: ["PORT": "4444", "ATTEMPTS": "5"])
        #expect(configuration.server.listen.port == 4444)
        #expect(configuration.retry.attempts == 5)
        #expect(configuration.providers.first?.headers == [
            "X-Literal": "${NOT_A_VAR}", "X-Fallback": "fallback", "X-Cost": "$5",
        ])
        #expect(problems("version: 1\nlogging: {level: \"${A}${B}\"}\n") == [
            "config.yaml:2:18: logging.level: environment variable 'A' is not set",
            "config.yaml:2:18: logging.level: environment variable 'B' is not set",
        ])
        #expect(problems("version: 1\nlogging: {level: \"${A\"}\n") == [
            "config.yaml:2:18: logging.level: unterminated '${' (write '$${' for a literal '${')"
        ])
    }

    @Test func apiKeyForms() throws {
        #expect(problems("version: 1\nproviders:\n  openai: {api_key: ''}\n") == [
            "config.yaml:3:21: providers.openai.api_key: is empty (an environment variable it names may be set but empty)"
        ])
        #expect(problems("version: 1\nproviders:\n  openai: {api_key: 'secret:'}\n") == [
            "config.yaml:3:21: providers.openai.api_key: 'secret:' needs a name, as stored by 'localrouter secrets set NAME'"
        ])
        let configuration = try load("version: 1\nproviders:\n  openai: {api_key: literal-key}\n")
        #expect(configuration.providers.first?.apiKey == .value("literal-key"))
    }

    // MARK: - Files

    @Test func loadReadsAFileAndRecordsItsPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lr-config-\(UUID()).yaml").path
        try "version: 1\nproviders:\n  mock: {}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try ConfigLoader.load(path: path, environment: [:])
        #expect(configuration.sourcePath == path)
        #expect(configuration.providers.map(\.name) == ["mock"])
    }

    @Test func missingFileIsAConfigError() {
        let path = "/nonexistent/lr-\(UUID())/config.yaml"
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path, environment: [:]) }
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
        } catch {
            #expect(error.description == "\(path): no such file (create one with 'localrouter init')")
        }
    }

    @Test func exampleConfigLoadsWithNoKeySet() throws {
        let path = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.example.yaml").path
        let configuration = try ConfigLoader.load(path: path, environment: [:])
        #expect(configuration.server.listen == ListenAddress(host: "127.0.0.1", port: 3625))
        #expect(configuration.providers.map(\.name) == ["mock"])
        #expect(configuration.provider(named: "mock")?.models == ["echo"])
        #expect(configuration.route(named: "default")?.targets == [RouteTarget(target: "mock/echo")])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# yaml-language-server: $schema=./config.schema.json\n"))
    }

    /// The commented-out examples must be valid too, once uncommented.
    @Test func exampleConfigCommentedExamplesAreValid() throws {
        let path = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.example.yaml").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let yamlLine = /^(\s*)# (\s*(?:- |[A-Za-z0-9_.\/-]+:(?: |$)).*)$/
        let uncommented = lines.enumerated().map { index, line -> String in
            guard index > 0, let match = line.wholeMatch(of: yamlLine) else { return String(line) }
            return String(match.1) + String(match.2)
        }.joined(separator: "\n")
        let configuration = try ConfigLoader.parse(
            yaml: uncommented, file: path,
            environment: ["OPENAI_API_KEY": "sk-1", "GEMINI_API_KEY": "g-1", "OPENROUTER_API_KEY": "or-1"])
        #expect(configuration.providers.map(\.type) == [.mock, .openai, .anthropic, .gemini, .openrouter, .ollama, .openaiCompatible])
        #expect(configuration.routes.map(\.name) == ["default", "smart", "cheap"])
        #expect(configuration.pricing.count == 2)
        #expect(configuration.provider(named: "vllm")?.apiKey == .value("none"))
    }

    @Test func parsingIsFastEnoughForEveryReload() throws {
        let path = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.example.yaml").path
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<20 { _ = try ConfigLoader.parse(yaml: yaml, file: path, environment: [:]) }
        }
        // Generous for a debug build on a busy machine; a reload parses once.
        #expect(elapsed < .seconds(2))
    }
}
