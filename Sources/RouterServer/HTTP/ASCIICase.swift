#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `bytes` spell `lowercase` with its letters in either case: a header name or an auth
/// scheme read off the wire, compared without lowercasing it into a new string.
@inline(__always)
func equalsIgnoringASCIICase(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    var expected = lowercase.utf8Start
    for byte in bytes {
        let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
        guard folded == expected.pointee else { return false }
        expected += 1
    }
    return true
}

/// Whether two byte ranges hold the same bytes (`memcmp`: `elementsEqual` goes byte by byte).
@inline(__always)
func sameBytes(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return lhs.count == 0 || memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0
}
