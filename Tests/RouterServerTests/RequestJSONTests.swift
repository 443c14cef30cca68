import NIOCore
import RouterCore
import Testing

@testable import RouterServer

@Suite struct RequestJSONTests {
    private func request(_ text: String) throws -> RequestJSON? {
        // A reader index past zero, as a body sliced out of a larger read has.
        var buffer = ByteBuffer(string: "xx" + text)
        buffer.moveReaderIndex(forwardBy: 2)
        return try RequestJSON(validating: buffer)
    }

    @Test func membersAreReadAloneAndTheWholeMatchesTheParser() throws {
        let text = #"{"model":"fake/gpt","stream":true,"messages":[{"role":"user","content":"hé\n"}],"n":2,"n":3}"#
        let json = try #require(try request(text))
        #expect(json["model"] == "fake/gpt")
        #expect(json["stream"] == true)
        #expect(json["n"] == 3, "a repeated key keeps its last value, as the parser does")
        #expect(json["absent"] == nil)
        #expect(json.object == (try JSONValue.parse(Array(text.utf8))))
    }

    @Test func onlyAnObjectIsARequestAndInvalidJSONThrows() throws {
        #expect(try request("[1,2]") == nil)
        #expect(try request(#""model""#) == nil)
        #expect(throws: JSONParser.SyntaxError.self) { try request(#"{"model":"a""#) }
        #expect(throws: JSONParser.SyntaxError.self) { try request(#"{"max_tokens":1e999}"#) }
    }

    @Test func theModelIsReplacedInPlaceOnlyWhenItCameOnce() throws {
        let json = try #require(try request(#"{ "messages":[{"model":"inner"}], "model" : "a/b" ,"x":1}"#))
        let replaced = try #require(json.replacingModel(with: "b\"c"))
        #expect(String(buffer: replaced) == #"{ "messages":[{"model":"inner"}], "model" : "b\"c" ,"x":1}"#)
        #expect(try request(#"{"model":"a","model":"b"}"#)?.replacingModel(with: "c") == nil)
        #expect(try request(#"{"messages":[{"model":"inner"}]}"#)?.replacingModel(with: "c") == nil)
    }
}
