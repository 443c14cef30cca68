/// Incremental SSE parser: feed it bytes as they arrive, in pieces of any size, and it returns
/// the events completed so far. Events split across reads are reassembled; comment lines
/// (`: PROCESSING`, keep-alives) are skipped; `\n`, `\r\n` and `\r` all end a line.
package struct SSEParser: Sendable {
    private var pendingLine: [UInt8] = []
    private var sawCarriageReturn = false
    private var eventName: String?
    private var dataLines: [String] = []
    private var hasData = false
    private var lastEventID: String?

    /// Bytes buffered while waiting for a line end; a guard against an upstream that never ends a line.
    package var bufferedByteCount: Int { pendingLine.count }

    package init() {}

    package mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        // One generic call, then a loop over concrete bytes: called from another module this
        // generic is not specialized, and iterating it cost a witness call (and, for a Slice, a
        // heap allocation) per byte (seen in the libFuzzer run's profile).
        if let events = bytes.withContiguousStorageIfAvailable({ feed(buffer: $0) }) { return events }
        return Array(bytes).withUnsafeBufferPointer { feed(buffer: $0) }
    }

    private mutating func feed(buffer bytes: UnsafeBufferPointer<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = processLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                sawCarriageReturn = true
                if let event = processLine() { events.append(event) }
            default:
                pendingLine.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: an event whose blank line never came is returned, as browsers do not
    /// but as a proxy that must not lose the upstream's last words should.
    package mutating func finish() -> ServerSentEvent? {
        if !pendingLine.isEmpty { _ = processLine() }
        return dispatch()
    }

    private mutating func processLine() -> ServerSentEvent? {
        defer { pendingLine.removeAll(keepingCapacity: true) }
        if pendingLine.isEmpty { return dispatch() }
        if pendingLine.first == UInt8(ascii: ":") { return nil }
        // Split on bytes, not Characters: the spec works on code points, and a combining mark
        // after the colon or the space would otherwise fuse with it into one grapheme.
        let colon = pendingLine.firstIndex(of: UInt8(ascii: ":")) ?? pendingLine.endIndex
        let field = String(decoding: pendingLine[..<colon], as: UTF8.self)
        var valueStart = colon < pendingLine.endIndex ? colon + 1 : colon
        if valueStart < pendingLine.endIndex, pendingLine[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = String(decoding: pendingLine[valueStart...], as: UTF8.self)
        switch field {
        case "data":
            dataLines.append(value)
            hasData = true
        case "event":
            eventName = value
        case "id":
            lastEventID = value
        default:
            break  // `retry:` and unknown fields are ignored, as the spec says.
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventName = nil
            dataLines.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return nil }
        return ServerSentEvent(event: eventName, data: dataLines.joined(separator: "\n"), id: lastEventID)
    }
}
