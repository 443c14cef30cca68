import Synchronization

/// Request ids like `req_5f1c0a9e3b2d4c17`: unique within a process run and across restarts
/// (a random base), cheap to make (an atomic counter, no syscall per request).
package enum RequestIdentifier {
    private static let base = UInt64.random(in: 0...UInt64.max)
    private static let counter = Atomic<UInt64>(0)

    package static func next() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        let value = base &+ sequence &* 0x9E37_79B9_7F4A_7C15
        let hex = String(value, radix: 16)
        return "req_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
