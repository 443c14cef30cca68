import Foundation
import Testing

@testable import RouterCore

/// Seeded fuzzing of the three parsers that read untrusted bytes: request JSON, upstream SSE
/// and the config file. Every run replays the same cases (`FUZZ_SEED` picks another sequence,
/// `FUZZ_CASES` scales the count for a long run); a failure names the seed and case to replay.
@Suite struct FuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_1234
    static let scale: Int = ProcessInfo.processInfo.environment["FUZZ_CASES"].flatMap { Int($0) } ?? 1

    // MARK: JSON

    @Test func jsonRoundTripsAndSurvivesMutations() {
        var random = SeededGenerator(seed: Self.seed)
        for index in 0..<(3_000 * Self.scale) {
            let value = Self.randomJSON(&random, depth: 0)
            let bytes = value.serialized()
            let parsed = try? JSONValue.parse(bytes)
            #expect(parsed == value, "seed \(Self.seed) case \(index): round trip of \(String(decoding: bytes, as: UTF8.self))")
            // Mutated bytes: any outcome but a crash; a success must be a value that serializes again.
            let mutated = Self.mutate(bytes, &random)
            if let survivor = try? JSONValue.parse(mutated) {
                #expect((try? JSONValue.parse(survivor.serialized())) == survivor, "seed \(Self.seed) case \(index)")
            }
        }
    }

    @Test func jsonRejectsHostileShapesCleanly() {
        var random = SeededGenerator(seed: Self.seed ^ 0xA5A5)
        for _ in 0..<(300 * Self.scale) {
            // Deep nesting of random brackets, far beyond the depth bound.
            let depth = Int.random(in: 200...20_000, using: &random)
            let bytes = (0..<depth).map { _ in Bool.random(using: &random) ? UInt8(ascii: "[") : UInt8(ascii: "{") }
            #expect(throws: (any Error).self) { try JSONValue.parse(bytes) }
            // Random bytes.
            let noise = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? JSONValue.parse(noise)
        }
        let limit = JSONParser.maximumDepth
        #expect((try? JSONValue.parse(Array((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8))) != nil)
        #expect((try? JSONValue.parse(Array((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8))) == nil)
    }

    /// The flat validator (`quickCheck`) never passes what the recursive one refuses, and passes
    /// every valid document it can decide (all but those with `\u` escapes).
    @Test func theQuickJSONCheckAgreesWithTheValidator() {
        var random = SeededGenerator(seed: Self.seed ^ 0x5EED)
        func agree(_ bytes: [UInt8], _ note: @autoclosure () -> String) {
            bytes.withUnsafeBufferPointer { buffer in
                let quick = JSONParser.quickCheck(buffer)
                let valid = (try? JSONParser.validateRecursively(buffer).get()) != nil
                if quick != nil { #expect(quick == valid, "\(note()): \(String(decoding: bytes, as: UTF8.self).debugDescription)") }
                if valid, !bytes.contains(UInt8(ascii: "\\")) { #expect(quick == true, "\(note())") }
            }
        }
        for index in 0..<(3_000 * Self.scale) {
            let bytes = Self.randomJSON(&random, depth: 0).serialized()
            agree(bytes, "case \(index)")
            agree(Self.mutate(bytes, &random), "mutated case \(index)")
            agree((0..<Int.random(in: 0...32, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, "noise \(index)")
        }
        // Every short sequence of the bytes that matter, and every two-byte UTF-8 lead and follower.
        let alphabet = Array("{}[]\",:0-1.eE+tfnrulsa \\/".utf8) + [0x0A, 0x01, 0xC3, 0xA9, 0xED, 0xA0, 0xF4, 0x90, 0xFF]
        for a in alphabet { for b in alphabet { for c in alphabet { agree([a, b, c], "triple"); agree([0x22, a, b, c, 0x22], "in a string") } } }
        for lead in UInt8(0x80)...0xFF {
            for next in UInt8(0x00)...0xFF {
                for tail in [[], [0x80], [0x80, 0x80]] as [[UInt8]] { agree([0x22, lead, next] + tail + [0x22], "UTF-8") }
            }
        }
        let limit = JSONParser.maximumDepth
        agree(Array((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8), "at the depth bound")
        agree(Array((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8), "past the depth bound")
    }

    // MARK: SSE

    @Test func sseReassemblesValidStreamsHoweverTheyAreSplit() {
        var random = SeededGenerator(seed: Self.seed ^ 0x55E)
        for index in 0..<(2_000 * Self.scale) {
            let events = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                ServerSentEvent(
                    event: Bool.random(using: &random) ? Self.randomText(&random, length: 8, alphabet: .name) : nil,
                    data: Self.randomText(&random, length: 40, alphabet: .data))
            }
            var wire = ""
            for event in events {
                if Int.random(in: 0..<4, using: &random) == 0 { wire += ": keep-alive\n" }
                wire += event.serialized
            }
            // Any of the three line ends the spec allows.
            let lineEnd = ["\n", "\r\n", "\r"].randomElement(using: &random)!
            if lineEnd != "\n" { wire = wire.replacingOccurrences(of: "\n", with: lineEnd) }
            let bytes = Array(wire.utf8)
            let parsed = Self.parseSSE(bytes, splits: Self.randomSplits(bytes.count, &random))
            #expect(parsed == events, "seed \(Self.seed) case \(index): \(wire.debugDescription)")
        }
    }

    /// Found by the fuzzer: the parser split fields on Characters, so a data value starting with a
    /// combining mark fused with the separating space and kept it, and a colon followed by one
    /// was not found at all.
    @Test func sseSplitsFieldsOnCodePointsNotGraphemes() {
        var parser = SSEParser()
        let events = parser.feed(Array("data: \u{0301}x\n\ndata:\u{0301}y\n\n".utf8))
        #expect(events.map(\.data) == ["\u{0301}x", "\u{0301}y"])
    }

    /// `feed` walks contiguous bytes in place and copies any other sequence first: both give the
    /// same events.
    @Test func sseFeedsNonContiguousSequencesLikeContiguousOnes() {
        let wire = Array("event: a\r\ndata: caf\u{E9}\n\n: c\ndata: 1\rdata: 2\r\r".utf8)
        var contiguous = SSEParser()
        var lazy = SSEParser()
        let expected = [ServerSentEvent(event: "a", data: "caf\u{E9}"), ServerSentEvent(data: "1\n2")]
        #expect(contiguous.feed(wire[...]) == expected)
        #expect(lazy.feed(wire.lazy.map { $0 }) + lazy.feed(AnySequence<UInt8>([])) == expected)
        #expect(AnySequence(wire).withContiguousStorageIfAvailable { _ in true } == nil)
    }

    @Test func sseGarbageNeverCrashesAndSplitsNeverChangeTheResult() {
        var random = SeededGenerator(seed: Self.seed ^ 0x6A7B)
        let pieces: [[UInt8]] = [
            Array("data:".utf8), Array("data: ".utf8), Array("event: x".utf8), Array("id: 7".utf8), Array(": c".utf8),
            Array("retry: 10".utf8), [0x0A], [0x0D], [0x0D, 0x0A], [0x3A], [0xFF], [0xC3], [0x28], [0x00], Array("\u{1F600}".utf8),
        ]
        for index in 0..<(2_000 * Self.scale) {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                if Bool.random(using: &random) {
                    bytes += pieces.randomElement(using: &random)!
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &random))
                }
            }
            let whole = Self.parseSSE(bytes, splits: [])
            let split = Self.parseSSE(bytes, splits: Self.randomSplits(bytes.count, &random))
            #expect(whole == split, "seed \(Self.seed) case \(index): \(bytes)")
        }
    }

    // MARK: Config

    @Test func configParserAlwaysAnswersWithAConfigOrPlacedDiagnostics() throws {
        let example = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("config.example.yaml"),
            encoding: .utf8)
        let seeds = [example, Self.richConfig]
        var random = SeededGenerator(seed: Self.seed ^ 0xC0F)
        var accepted = 0
        for index in 0..<(1_500 * Self.scale) {
            let original = seeds.randomElement(using: &random)!
            var text = original
            for _ in 0..<Int.random(in: 1...3, using: &random) { text = Self.mutateYAML(text, &random) }
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            do {
                _ = try ConfigLoader.parse(yaml: text, file: "fuzz.yaml", environment: ["OPENAI_API_KEY": "sk-test"])
                accepted += 1
            } catch {
                #expect(!error.diagnostics.isEmpty, "seed \(Self.seed) case \(index)")
                for diagnostic in error.diagnostics {
                    let placed = diagnostic.line >= 1 && diagnostic.line <= lineCount && diagnostic.column >= 1
                    #expect(placed, "seed \(Self.seed) case \(index): \(diagnostic) in a file of \(lineCount) lines")
                    #expect(!diagnostic.message.isEmpty)
                }
            }
        }
        #expect(accepted > 0, "no mutation left a valid config: the mutator is too destructive to test acceptance")
    }

    static let richConfig = """
        version: 1
        server:
          listen: 127.0.0.1:3625
          request_timeout: 30s
          max_body: 4MiB
        providers:
          mock:
            type: mock
            models: [echo]
          openai:
            type: openai
            api_key: ${OPENAI_API_KEY}
            models: [gpt-4.1, gpt-4.1-mini]
            timeout: 20s
        routes:
          default:
            targets: [mock/echo, openai/gpt-4.1-mini]
          smart:
            strategy: fallback
            targets:
              - openai/gpt-4.1
              - mock/echo
        """

    // MARK: Generators

    static func randomJSON(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        let kind = Int.random(in: 0..<(depth >= 4 ? 5 : 7), using: &random)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &random) >> Int64.random(in: 0...63, using: &random))
        case 3: return .double(Double(Int.random(in: -1_000_000...1_000_000, using: &random)) + 0.25)
        case 4: return .string(randomText(&random, length: 24, alphabet: .any))
        case 5: return .array((0..<Int.random(in: 0...5, using: &random)).map { _ in randomJSON(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                object[randomText(&random, length: 10, alphabet: .any)] = randomJSON(&random, depth: depth + 1)
            }
            return .object(object)
        }
    }

    enum Alphabet { case any, data, name }

    static func randomText(_ random: inout SeededGenerator, length: Int, alphabet: Alphabet) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...length, using: &random) {
            let pick = Int.random(in: 0..<10, using: &random)
            let value: UInt32
            switch (alphabet, pick) {
            case (.name, _): value = UInt32.random(in: 0x61...0x7A, using: &random)
            case (.any, 0): value = UInt32.random(in: 0...0x1F, using: &random)  // Control characters, escaped.
            case (.data, 0): value = [0x0A, 0x3A, 0x20, 0x09].randomElement(using: &random)!  // Newlines split data lines.
            case (_, 1): value = [0x22, 0x5C, 0x2F, 0x3A].randomElement(using: &random)!
            case (_, 2): value = UInt32.random(in: 0x80...0xD7FF, using: &random)
            case (_, 3): value = UInt32.random(in: 0x1F600...0x1F64F, using: &random)
            default: value = UInt32.random(in: 0x20...0x7E, using: &random)
            }
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    static func mutate(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.insert(Array("{}[]\",:\\0-eE.tfn ".utf8).randomElement(using: &random)!, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            case 3: bytes = Array(bytes.prefix(position))
            default: bytes.insert(contentsOf: bytes[position...].prefix(8), at: position)
            }
        }
        return bytes
    }

    static func mutateYAML(_ text: String, _ random: inout SeededGenerator) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return text }
        let line = Int.random(in: 0..<lines.count, using: &random)
        switch Int.random(in: 0..<9, using: &random) {
        case 0: lines.remove(at: line)
        case 1: lines.insert(lines[line], at: line)
        case 2: lines[line] = " " + lines[line]
        case 3: lines[line] = String(lines[line].dropFirst())
        case 4:
            var characters = Array(lines[line])
            let fragments = [":", "- ", "[", "]", "{", "}", "&a", "*a", "!!str", "\t", "'", "\"", "#", "|", "\u{FEFF}", "é", "${X", "1e999"]
            characters.insert(contentsOf: fragments.randomElement(using: &random)!, at: Int.random(in: 0...characters.count, using: &random))
            lines[line] = String(characters)
        case 5: lines = Array(lines.prefix(line))
        case 6:
            let other = Int.random(in: 0..<lines.count, using: &random)
            lines.swapAt(line, other)
        case 7: lines[line] = lines[line].replacingOccurrences(of: ": ", with: ": " + ["", "-1", "yes", "~", "[]", "{}", "0s", "99999999999999999999"].randomElement(using: &random)!)
        default:
            let value = lines[line]
            if let colon = value.firstIndex(of: ":") { lines[line] = String(value[..<colon]) + "x" + String(value[colon...]) }
        }
        return lines.joined(separator: "\n")
    }

    static func randomSplits(_ count: Int, _ random: inout SeededGenerator) -> [Int] {
        guard count > 1 else { return [] }
        let cuts = Int.random(in: 0...min(count - 1, 12), using: &random)
        return Set((0..<cuts).map { _ in Int.random(in: 1..<count, using: &random) }).sorted()
    }

    static func parseSSE(_ bytes: [UInt8], splits: [Int]) -> [ServerSentEvent] {
        var parser = SSEParser()
        var events: [ServerSentEvent] = []
        var start = 0
        for cut in splits + [bytes.count] {
            events += parser.feed(bytes[start..<cut])
            start = cut
        }
        if let last = parser.finish() { events.append(last) }
        return events
    }
}
