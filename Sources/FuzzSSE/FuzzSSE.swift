import FuzzSupport
import RouterCore

/// libFuzzer target for the upstream SSE parser: the input fed in two pieces, cut at a position
/// taken from its first and last bytes, gives the same events as the input fed whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = size == 0 ? 0 : (Int(bytes[0]) << 8 | Int(bytes[size - 1])) % (size + 1)
    let whole = events(of: [bytes[...]])
    let split = events(of: [bytes[..<cut], bytes[cut...]])
    fuzzCheck(whole == split, "cut at \(cut) of \(size): \(split) instead of \(whole)")
    return 0
}

private func events(of pieces: [Slice<UnsafeBufferPointer<UInt8>>]) -> [ServerSentEvent] {
    var parser = SSEParser()
    var events: [ServerSentEvent] = []
    for piece in pieces { events += parser.feed(piece) }
    if let last = parser.finish() { events.append(last) }
    return events
}

// libFuzzer brings its own main; a plain build replays files through the check (FuzzReplay).
#if !FUZZING
@main enum FuzzSSE {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
