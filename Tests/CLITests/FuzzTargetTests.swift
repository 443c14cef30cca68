import Foundation
import Testing

/// The libFuzzer targets (Sources/Fuzz*), as built by a plain `swift build`: they replay input
/// files through the same checks scripts/fuzz runs under libFuzzer. Every seed in Fuzz/corpus
/// (including the inputs of the bugs the fuzzer found) must pass them.
@Suite struct FuzzTargetTests {
    @Test(arguments: [("FuzzJSON", "json"), ("FuzzSSE", "sse"), ("FuzzConfig", "config")])
    func seedCorpusPassesTheTargetsChecks(product: String, corpus: String) throws {
        let directory = CLISandbox.packageRoot.appendingPathComponent("Fuzz/corpus/\(corpus)")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        #expect(seeds.count >= 5)
        let result = try Self.run(product, [directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(product): \(seeds.count) inputs, every check passed\n")
    }

    @Test func replayNamesAnUnreadableInputAndNeedsOne() throws {
        // An input file the replay cannot read fails the run with its name; no input is usage.
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).yaml").path
        let unreadable = try Self.run("FuzzConfig", [missing])
        #expect(unreadable.status == 66)
        #expect(unreadable.stderr.contains("cannot read \(missing)"))
        #expect(try Self.run("FuzzJSON", []).status == 64)
    }

    /// Runs a fuzz target's replay (the Swift crash handler off, as scripts/fuzz runs them).
    static func run(_ product: String, _ arguments: [String]) throws -> CLISandbox.Output {
        try CLISandbox().run(arguments, executable: CLISandbox.product(product), extraEnvironment: ["SWIFT_BACKTRACE": "enable=no"])
    }
}
