import FuzzSupport
import RouterCore

/// libFuzzer target for the request-body JSON parser: any bytes either fail to parse or give a
/// value that serializes to JSON which parses back to the same value; and the validator (used on
/// relayed upstream bodies) agrees with the parser, but for numbers past Double's range, which
/// only the parser refuses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let valid = (try? JSONParser.validate(bytes)) != nil
    let parsed: Result<JSONValue, JSONParser.SyntaxError> = Result { () throws(JSONParser.SyntaxError) in try JSONParser.parse(bytes) }
    switch parsed {
    case .success: fuzzCheck(valid, "the validator refuses what the parser accepts: \(String(decoding: bytes, as: UTF8.self))")
    case .failure(let error): fuzzCheck(!valid || error.reason == "number out of range", "the validator accepts what the parser refuses (\(error))")
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
