import Foundation
import Hummingbird
import Logging
import RouterCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("init detects providers")
struct SystemdInitTests {
    /// A stand-in for Ollama's `/api/tags` on 127.0.0.1:0.
    static func fakeOllama(onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/api/tags") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: .init(string: #"{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest"},{"name":"qwen3:8b"}]}"#)))
        }
        var logger = Logger(label: "fake-ollama")
        logger.logLevel = .critical
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await onListening($0.localAddress!.port!) }, logger: logger)
    }

    @Test("API keys in the environment and a local Ollama become providers and a fallback route; keys stay ${VAR} references")
    func detectsEverything() async throws {
        try await withServices([{ Self.fakeOllama(onListening: $0) }]) { ports in
            let home = try TemporaryHome()
            defer { home.cleanUp() }
            let openAIKey = "sk-test-openai-value-7f3a9c"
            let geminiKey = "gm-test-gemini-value-2b8d"
            let environment = home.environment([
                "OPENAI_API_KEY": openAIKey, "GEMINI_API_KEY": geminiKey, "ANTHROPIC_API_KEY": "",
                "OLLAMA_HOST": "127.0.0.1:\(ports[0])",
            ])
            let result = try await runCommand(BuiltProducts.localrouter, ["init"], environment: environment)
            #expect(result.status == 0, "\(result.standardError)")

            let yaml = try String(contentsOfFile: home.configFile, encoding: .utf8)
            #expect(yaml.hasPrefix("# yaml-language-server: $schema=./config.schema.json\n"))
            #expect(yaml.contains("api_key: ${OPENAI_API_KEY}") && yaml.contains("api_key: ${GEMINI_API_KEY}"))
            #expect(!yaml.contains("ANTHROPIC_API_KEY}"), "an empty variable is not a key")
            for secret in [openAIKey, geminiKey] {
                #expect(!yaml.contains(secret) && !result.standardOutput.contains(secret) && !result.standardError.contains(secret))
            }

            // It loads, and the route tries what was found in order, the mock last.
            let configuration = try ConfigLoader.load(path: home.configFile, environment: environment)
            #expect(configuration.providers.map(\.name).sorted() == ["gemini", "mock", "ollama", "openai"])
            #expect(configuration.providers.first { $0.name == "ollama" }?.baseURL == "http://127.0.0.1:\(ports[0])")
            let route = try #require(configuration.routes.first { $0.name == "default" })
            #expect(route.strategy == .fallback)
            #expect(route.targets.map(\.target) == ["openai/gpt-4.1-mini", "gemini/gemini-2.5-flash", "ollama/llama3.2:latest", "mock/echo"])

            #expect(result.standardOutput.contains("OPENAI_API_KEY in the environment -> provider 'openai'"))
            #expect(result.standardOutput.contains("Ollama at http://127.0.0.1:\(ports[0]) with 2 model(s)"))
            #expect(result.standardOutput.contains("localrouter keys create"))
            #expect(result.standardOutput.contains("systemctl --user daemon-reload && systemctl --user enable --now localrouter"))
            #expect(FileManager.default.fileExists(atPath: home.path + "/.config/localrouter/config.schema.json"))
            var info = stat()
            #expect(stat(home.path + "/.local/share/localrouter/master.key", &info) == 0 && info.st_mode & 0o777 == 0o600)

            // A second init changes nothing and says why.
            let again = try await runCommand(BuiltProducts.localrouter, ["init"], environment: environment)
            #expect(again.status != 0 && again.standardError.contains("nothing changed"))
            #expect(try String(contentsOfFile: home.configFile, encoding: .utf8) == yaml)
        }
    }

    @Test("finding nothing (no keys; at OLLAMA_HOST a port that accepts but never answers) writes the example config without hanging")
    func findsNothing() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        let silent = try SilentListener()
        let started = ContinuousClock.now
        let result = try await runCommand(
            BuiltProducts.localrouter, ["init"], environment: home.environment(["OLLAMA_HOST": "http://127.0.0.1:\(silent.port)"]))
        let took = ContinuousClock.now - started
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try String(contentsOfFile: home.configFile, encoding: .utf8) == StarterConfig.yaml)
        #expect(result.standardOutput.contains("Found no provider"))
        // The probe gives up after ~0.4 s; the bound is loose for loaded CI machines, yet far
        // below the 10 s connect and 60 s read timeouts an unbounded probe would wait for.
        #expect(took < .seconds(9), "took \(took)")
    }

    @Test("OLLAMA_HOST forms map to a base URL")
    func ollamaHostForms() {
        let cases: [(String?, String)] = [
            (nil, "http://127.0.0.1:11434"), ("", "http://127.0.0.1:11434"),
            ("127.0.0.1:11434", "http://127.0.0.1:11434"), ("0.0.0.0", "http://127.0.0.1:11434"),
            ("0.0.0.0:9000", "http://127.0.0.1:9000"), ("http://gpu-box:8080/", "http://gpu-box:8080"),
            ("https://ollama.example", "https://ollama.example:443"), ("[::1]:11434", "http://[::1]:11434"),
        ]
        for (host, expected) in cases {
            #expect(DetectedStarterConfig.ollamaBaseURL(ollamaHost: host) == expected, "OLLAMA_HOST=\(host ?? "unset")")
        }
    }
}

/// A loopback port whose kernel backlog completes connections that nobody ever reads from.
final class SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard ok else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
