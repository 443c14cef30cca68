import NIOCore
import RouterCore

/// A client's request body: one valid JSON object, kept as the bytes it came in with its
/// top-level members located but not built (`JSONParser.objectMembers`). The proxy reads a few
/// members (`model`, `stream`, …), each parsed alone when asked for; the whole tree is built
/// only for what needs it (translation to another wire format, the mock provider, limits'
/// token estimate), and a request that goes on in its own format is sent as the client's own
/// bytes with just the model replaced.
package struct RequestJSON: Sendable {
    package let bytes: ByteBuffer
    package let members: [JSONParser.Member]

    /// Nil when `bytes` are valid JSON but not an object; throws when they are not valid JSON.
    package init?(validating bytes: ByteBuffer) throws(JSONParser.SyntaxError) {
        let found = bytes.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParser.SyntaxError) in try JSONParser.objectMembers(raw.bindMemory(to: UInt8.self)) }
        }
        guard let members = try found.get() else { return nil }
        self.bytes = bytes
        self.members = members
    }

    /// A top-level member's value; a repeated key gives its last value, as `parse` does.
    package subscript(key: String) -> JSONValue? {
        guard let member = members.last(where: { $0.key == key }) else { return nil }
        return value(at: member.value)
    }

    /// The whole document, built.
    package var object: JSONValue {
        .object(Dictionary(members.map { ($0.key, value(at: $0.value)) }, uniquingKeysWith: { _, last in last }))
    }

    /// Where the value of `model` is (byte offsets in the readable bytes), when that key came
    /// exactly once: only then can it be replaced in place.
    package var modelValue: Range<Int>? {
        var found: Range<Int>?
        for member in members where member.key == "model" {
            guard found == nil else { return nil }
            found = member.value
        }
        return found
    }

    /// The body with the model's value replaced by `model` as a JSON string, all else byte for
    /// byte; nil when the body has no single `model` key.
    package func replacingModel(with model: String) -> ByteBuffer? {
        guard let modelValue else { return nil }
        var value: [UInt8] = []
        JSONSerializer.writeString(model, into: &value)
        var body = ByteBuffer()
        body.reserveCapacity(bytes.readableBytes - modelValue.count + value.count)
        body.writeImmutableBuffer(bytes.getSlice(at: bytes.readerIndex, length: modelValue.lowerBound)!)
        body.writeBytes(value)
        body.writeImmutableBuffer(
            bytes.getSlice(at: bytes.readerIndex + modelValue.upperBound, length: bytes.readableBytes - modelValue.upperBound)!)
        return body
    }

    /// A member's value, from bytes `objectMembers` already validated (so as strictly as
    /// `parse`, numbers' range included): parsing them again cannot fail.
    private func value(at range: Range<Int>) -> JSONValue {
        bytes.withUnsafeReadableBytes { raw in
            (try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[range]).bindMemory(to: UInt8.self))) ?? .null
        }
    }
}
