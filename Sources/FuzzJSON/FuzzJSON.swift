import FuzzSupport
import RouterCore

/// libFuzzer target for the request-body JSON parser: any bytes either fail to parse or give a
/// value that serializes to JSON which parses back to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
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
