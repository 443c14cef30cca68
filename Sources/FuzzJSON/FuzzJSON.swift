import FuzzSupport
import RouterCore

/// libFuzzer target for the request-body JSON parser: any bytes either fail to parse or give a
/// value that serializes to JSON which parses back to the same value; the validator (used on
/// relayed upstream bodies) agrees with the parser, but for numbers past Double's range, which
/// only the parser refuses; and the request-body index (`objectMembers`, what the proxy reads
/// requests with) accepts exactly what the parser accepts, its members' bytes parsing to the
/// parser's object.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let valid = (try? JSONParser.validate(bytes)) != nil
    let parsed: Result<JSONValue, JSONParser.SyntaxError> = Result { () throws(JSONParser.SyntaxError) in try JSONParser.parse(bytes) }
    switch parsed {
    case .success: fuzzCheck(valid, "the validator refuses what the parser accepts: \(String(decoding: bytes, as: UTF8.self))")
    case .failure(let error): fuzzCheck(!valid || error.reason == "number out of range", "the validator accepts what the parser refuses (\(error))")
    }
    let members = Result { () throws(JSONParser.SyntaxError) in try JSONParser.objectMembers(bytes) }
    switch (parsed, members) {
    case (.success(.object(let object)), .success(let located?)):
        var rebuilt: [String: JSONValue] = [:]
        for member in located {
            guard let value = try? JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[member.value])) else {
                fatalError("a member's bytes do not parse: \(String(decoding: bytes, as: UTF8.self))")
            }
            rebuilt[member.key] = value
        }
        fuzzCheck(rebuilt == object, "the members differ from the parsed object: \(String(decoding: bytes, as: UTF8.self))")
    case (.success(.object), _): fuzzCheck(false, "the index refuses or misses an object the parser accepts")
    case (.success, .success(nil)), (.failure, .failure): break
    case (.success, _): fuzzCheck(false, "the index disagrees with the parser on a non-object")
    case (.failure(let error), .success): fuzzCheck(false, "the index accepts what the parser refuses (\(error))")
    }
    guard case .success(let value) = parsed else { return 0 }
    let serialized = value.serialized()
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue.parse(serialized)
    } catch {
        fatalError("the serialization of a parsed value does not parse (\(error)): \(String(decoding: serialized, as: UTF8.self))")
    }
    fuzzCheck(reparsed == value, "the round trip changed the value: \(value) became \(reparsed)")
    return 0
}

// libFuzzer brings its own main; a plain build replays files through the check (FuzzReplay).
#if !FUZZING
@main enum FuzzJSON {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
