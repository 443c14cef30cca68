import Foundation
import Testing
@testable import RouterCore

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(Array(#" {"a": [1, -2.5, 3e2, true, false, null, "x"], "b": {}, "c": [] } "#.utf8))
        #expect(value == ["a": [1, -2.5, 300.0, true, false, nil, "x"], "b": [:], "c": []])
        #expect(value["a"]?.arrayValue?[0] == .integer(1))
        #expect(value["a"]?.arrayValue?[2] == .double(300))
    }

    @Test func serializesObjectsInKeyOrderWhenAsked() throws {
        let value: JSONValue = ["zeta": 1, "alpha": ["delta": true, "beta": nil, "gamma": [["y": 1, "x": 2]]], "mid": "m"]
        #expect(
            String(decoding: value.serialized(sortingKeys: true), as: UTF8.self)
                == #"{"alpha":{"beta":null,"delta":true,"gamma":[{"x":2,"y":1}]},"mid":"m","zeta":1}"#)
        // Unsorted output holds the same document.
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try JSONValue.parse(Array("12345678901234567".utf8)) == .integer(12_345_678_901_234_567))
        #expect(try JSONValue.parse(Array("-9223372036854775808".utf8)) == .integer(Int64.min))
        // Beyond Int64 it becomes a double rather than an error.
        #expect(try JSONValue.parse(Array("92233720368547758070".utf8)) == .double(9.223372036854775807e19))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue.parse(Array(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#.utf8))
        #expect(value == .string("a\"b\\c/d\n\té😀"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "01", "1.", "-", "1e", "tru", "\"abc", "\"\\x\"",
        "\"\\ud83d\"", "\"\\ude00\"", "{} {}", "\"a\u{01}b\"", "NaN", "[1e999]",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "01", "1.", "-", "1e", "tru", "\"abc", "\"\\x\"",
        "\"\\ud83d\"", "\"\\ude00\"", "{} {}", "\"a\u{01}b\"", "NaN", "{\"a\":[1,{\"b\":}]}",
    ])
    func theValidatorRejectsWhatTheParserRejects(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.validate(Array(text.utf8)) }
    }

    @Test func theValidatorAcceptsWhatTheParserAccepts() throws {
        for text in [
            #" {"a": [1, -2.5, 3e2, true, false, null, "x"], "b": {}, "c": [] } "#, #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#,
            #"{"é":"ünïcødé \u00e9 and 😀"}"#, "-0.5E+3", "[]",
        ] {
            _ = try JSONParser.parse(Array(text.utf8))
            try JSONParser.validate(Array(text.utf8))
        }
        // Invalid UTF-8, alone or between escapes, as the parser refuses it.
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xC3, 0xA9, 0x5C, 0x6E, 0xC3, 0x28, 0x22]] {
            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.validate(bytes) }
            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(bytes) }
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.validate(Array(deep.utf8)) }
    }

    @Test func aRepeatedKeyKeepsItsLastValue() throws {
        #expect(try JSONValue.parse(Array(#"{"a":1,"b":2,"a":3}"#.utf8)) == ["a": 3, "b": 2])
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func boundsNestingDepth() throws {
        let ok = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
        #expect(error?.reason.contains("nested deeper") == true)
    }

    @Test func serializationRoundTripsAndFoundationAgrees() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let bytes = value.serialized()
            #expect(try JSONValue.parse(bytes) == value)
            // An independent parser reads the same text.
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) }
        }
    }

    @Test func escapesControlCharactersAndQuotes() {
        let text = String(decoding: JSONValue.string("a\"\\\n\u{01}é").serialized(), as: UTF8.self)
        #expect(text == #""a\"\\\n\u0001é""#)
    }

    static func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        let choice = depth > 3 ? Int.random(in: 0..<5, using: &generator) : Int.random(in: 0..<7, using: &generator)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator))
        case 3: return .double(Double(Int.random(in: -100_000...100_000, using: &generator)) / 64 + 0.5)
        case 4:
            let alphabet = Array("abc \"\\\n\té😀\u{01}/")
            return .string(String((0..<Int.random(in: 0..<12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var object: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<4, using: &generator) { object["k\(index)"] = randomValue(depth: depth + 1, using: &generator) }
            return .object(object)
        }
    }
}

@Suite struct JSONObjectMembersTests {
    static func members(of bytes: [UInt8]) throws -> [JSONParser.Member]? {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParser.SyntaxError) in try JSONParser.objectMembers(buffer) }
    }

    private func members(_ json: String) throws -> [String]? {
        let bytes = Array(json.utf8)
        return try Self.members(of: bytes)?.map { "\($0.key)=" + String(decoding: bytes[$0.value], as: UTF8.self) }
    }

    @Test func membersComeInOrderWithTheirValuesBytes() throws {
        #expect(try members(#"{"model":"a/b","messages":[]}"#) == [#"model="a/b""#, "messages=[]"])
        #expect(
            try members(#"  { "messages" : [{"model":"inner"}] ,  "m\u006fdel" :   "x\"y"  } "#)
                == [#"messages=[{"model":"inner"}]"#, #"model="x\"y""#])
        #expect(try members(#"{"a":1,"a":2}"#) == ["a=1", "a=2"], "a repeated key comes each time")
        #expect(try members("{}") == [])
        #expect(try members(#"[{"model":"a"}]"#) == nil, "valid, but not an object")
        #expect(try members("12") == nil)
    }

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":[1 2]}", "{\"a\":01}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{} {}",
        "{\"a\":1e999}", "{\"a\":[-1e400]}", "{\"a\":{\"b\":}}", "[1,]", "{1:2}",
    ])
    func refusesWhatTheParserRefuses(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
        #expect(throws: JSONParser.SyntaxError.self) { try Self.members(of: Array(text.utf8)) }
    }

    /// Random documents and random one-byte damage to them: the members are accepted exactly
    /// when the parser accepts the document, and each member's bytes parse to the parser's value.
    @Test func agreesWithTheParserOnRandomAndDamagedDocuments() throws {
        var generator = SeededGenerator(seed: 7)
        let damage: [UInt8] = Array(#"{}[],:"\ 0-e.9tnx"#.utf8) + [0x01, 0xC3, 0xFF]
        for round in 0..<2_000 {
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<5, using: &generator) {
                members["k\(index)"] = JSONParserTests.randomValue(depth: 1, using: &generator)
            }
            var bytes = JSONValue.object(members).serialized()
            if round % 2 == 1 {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = damage.randomElement(using: &generator)!
            }
            let parsed = try? JSONParser.parse(bytes)
            let located = try? Self.members(of: bytes)
            #expect((parsed != nil) == (located != nil), "\(String(decoding: bytes, as: UTF8.self))")
            guard case .object(let object)? = parsed, let located = located ?? nil else { continue }
            var rebuilt: [String: JSONValue] = [:]
            for member in located { rebuilt[member.key] = try JSONParser.parse(bytes[member.value]) }
            #expect(rebuilt == object)
        }
    }
}
