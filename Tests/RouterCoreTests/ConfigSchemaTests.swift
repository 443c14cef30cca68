import Foundation
import Testing

@testable import RouterCore

@Suite struct ConfigSchemaTests {
    private func schema() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(ConfigSchema.json.utf8))
        return try #require(object as? [String: Any])
    }

    private func properties(_ object: Any?) throws -> [String: Any] {
        let object = try #require(object as? [String: Any])
        return try #require(object["properties"] as? [String: Any])
    }

    @Test func checkedInSchemaFileMatches() throws {
        let path = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.schema.json").path
        let file = try String(contentsOfFile: path, encoding: .utf8)
        #expect(file == ConfigSchema.json + "\n", "regenerate with: localrouter config schema > config.schema.json")
    }

    /// The schema must know exactly the keys and names the loader accepts.
    @Test func schemaMatchesTheLoadersKeys() throws {
        let root = try schema()
        let definitions = try #require(root["definitions"] as? [String: Any])
        #expect(root["additionalProperties"] as? Bool == false)
        #expect(Set(try properties(root).keys) == Set(ConfigKeys.root))

        let top = try properties(root)
        let sections: [(String, [String])] = [
            ("server", ConfigKeys.server), ("health", ConfigKeys.health), ("retry", ConfigKeys.retry),
            ("limits", ConfigKeys.limits), ("logging", ConfigKeys.logging),
        ]
        for (name, keys) in sections {
            let section = try #require(top[name] as? [String: Any])
            #expect(section["additionalProperties"] as? Bool == false, "\(name)")
            #expect(Set(try properties(section).keys) == Set(keys), "\(name)")
        }
        let provider = try #require(definitions["provider"] as? [String: Any])
        #expect(provider["additionalProperties"] as? Bool == false)
        #expect(Set(try properties(provider).keys) == Set(ConfigKeys.provider))
        let route = try #require(definitions["route"] as? [String: Any])
        #expect(Set(try properties(route).keys) == Set(ConfigKeys.route))
        let pricing = try #require(top["pricing"] as? [String: Any])
        #expect(Set(try properties(pricing["additionalProperties"]).keys) == Set(ConfigKeys.price))

        let providerType = try #require(try properties(provider)["type"] as? [String: Any])
        #expect(providerType["enum"] as? [String] == ProviderType.allCases.map(\.rawValue))
        let strategy = try #require(try properties(route)["strategy"] as? [String: Any])
        #expect(strategy["enum"] as? [String] == RouteStrategy.allCases.map(\.rawValue))
        let level = try #require(try properties(top["logging"])["level"] as? [String: Any])
        #expect(level["enum"] as? [String] == ConfigKeys.logLevels)
    }

    @Test func durationAndSizePatternsAgreeWithTheParsers() throws {
        let definitions = try #require(try schema()["definitions"] as? [String: Any])
        func pattern(_ name: String) throws -> Regex<AnyRegexOutput> {
            let definition = try #require(definitions[name] as? [String: Any])
            return try Regex(try #require(definition["pattern"] as? String))
        }
        let duration = try pattern("duration")
        for text in ["0", "500ms", "1.5s", "1m30s", "7d", "2h", "10s5ms"] {
            #expect(text.firstMatch(of: duration) != nil, "\(text)")
            #expect((try? DurationParser.parse(text)) != nil, "\(text)")
        }
        for text in ["30", "1y", "s", "1.s", "-1s", " 1s"] {
            #expect(text.firstMatch(of: duration) == nil, "\(text)")
            #expect((try? DurationParser.parse(text)) == nil, "\(text)")
        }
        let size = try pattern("size")
        for text in ["1024", "512KiB", "16MiB", "1GiB"] {
            #expect(text.firstMatch(of: size) != nil, "\(text)")
            #expect((try? ByteSizeParser.parse(text)) != nil, "\(text)")
        }
        for text in ["16MB", "1.5MiB", "MiB", "-1"] {
            #expect(text.firstMatch(of: size) == nil, "\(text)")
            #expect((try? ByteSizeParser.parse(text)) == nil, "\(text)")
        }
    }

    // Full validation needs Python's jsonschema and PyYAML; skipped where they are missing.
    static let pythonValidatorAvailable: Bool = {
        runPython(["-c", "import jsonschema, yaml"]).status == 0
    }()

    static func runPython(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private static let validator = """
        import json, sys, yaml, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft7Validator.check_schema(schema)
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(sys.stdin if sys.argv[2] == '-' else open(sys.argv[2]))))
        for error in errors: print(error.message)
        sys.exit(1 if errors else 0)
        """

    @Test(.enabled(if: pythonValidatorAvailable)) func schemaIsValidAndAcceptsTheExample() {
        let schemaPath = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.schema.json").path
        let examplePath = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.example.yaml").path
        let result = Self.runPython(["-c", Self.validator, schemaPath, examplePath])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(.enabled(if: pythonValidatorAvailable)) func schemaRejectsWhatTheLoaderRejects() throws {
        let schemaPath = ConfigTestFiles.repositoryRoot.appendingPathComponent("config.schema.json").path
        let bad = [
            "version: 1\nretry: {atempts: 2}\n",
            "version: 1\nhealth: {interval: 30}\n",
            "version: 1\nproviders: {x: {type: openia}}\n",
            "version: 2\n",
            "version: 1\nserver: {max_body: 16MB}\n",
        ]
        for yaml in bad {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("lr-schema-\(UUID()).yaml").path
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(Self.runPython(["-c", Self.validator, schemaPath, file]).status == 1, "\(yaml)")
            #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "c", environment: [:]) }
        }
    }
}
