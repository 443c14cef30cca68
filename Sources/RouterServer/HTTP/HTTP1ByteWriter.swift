/// Copies the pieces of an HTTP/1.1 head into a buffer sized beforehand (a `ByteBuffer`'s
/// `writeWithUnsafeMutableBytes`): one bounds check and copy a piece, where `ByteBuffer`'s own
/// `writeString`/`writeStaticString` each re-checked capacity and uniqueness. Inlined: a head is
/// ~40 pieces, and the call was a third of each piece's cost.
struct HTTP1ByteWriter {
    let output: UnsafeMutableRawBufferPointer
    private(set) var offset = 0

    init(output: UnsafeMutableRawBufferPointer) {
        self.output = output
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        output[offset] = byte
        offset += 1
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ string: String) {
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            append(UnsafeRawBufferPointer(bytes))
        }
        if copied == nil {
            for byte in string.utf8 { append(byte) }
        }
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: output[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
        offset += bytes.count
    }
}
