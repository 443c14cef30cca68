import Synchronization

/// Request ids like `req_5f1c0a9e3b2d4c17`: unique within a process run and across restarts
/// (a random base), cheap to make (an atomic counter, no syscall per request).
package enum RequestIdentifier {
    private static let base = UInt64.random(in: 0...UInt64.max)
    private static let counter = Atomic<UInt64>(0)

    package static func next() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        let value = base &+ sequence &* 0x9E37_79B9_7F4A_7C15
        // Written in place: 20 bytes, one allocation (the radix conversion, padding and
        // concatenation were four).
        return String(unsafeUninitializedCapacity: 20) { bytes in
            for (offset, byte) in "req_".utf8.enumerated() { bytes[offset] = byte }
            for digit in 0..<16 {
                bytes[4 + digit] = hexDigits[Int((value >> (60 - 4 * UInt64(digit))) & 0xF)]
            }
            return 20
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
