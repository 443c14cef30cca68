import CSodium

/// The `lr-` client key format: `lr-` + 43 base64url characters (32 random bytes, no padding).
package enum APIKey {
    package static let scheme = "lr-"
    package static let bodyLength = 43
    package static let length = scheme.count + bodyLength
    /// Characters of the body kept in the non-secret prefix used for lookup and display.
    package static let prefixBodyLength = 8

    /// A new key from libsodium's RNG. Show it once; store only its bcrypt hash.
    package static func generate() -> String {
        var bytes = Sodium.randomBytes(32)
        defer { Sodium.zero(&bytes) }
        // sodium_base64_ENCODED_LEN is a C macro Swift cannot import: 43 characters + NUL.
        let encodedLength = bodyLength + 1
        var encoded = [CChar](repeating: 0, count: encodedLength)
        defer { encoded.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
        bytes.withUnsafeBufferPointer { input in
            encoded.withUnsafeMutableBufferPointer { output in
                _ = sodium_bin2base64(
                    output.baseAddress!, encodedLength, input.baseAddress!, 32,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING)
            }
        }
        return scheme + encoded.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// True for exactly `lr-` + 43 canonical base64url characters (the last one carries
    /// 4 data bits, so its two low bits must be zero).
    package static func isWellFormed(_ key: some StringProtocol) -> Bool {
        // Over the UTF-8 bytes in place: every valid character is ASCII, so a multi-byte one fails
        // the check (and the key is checked on every request; walking `utf8.dropFirst(3)` cost
        // ~40 instructions a byte).
        key.utf8.withContiguousStorageIfAvailable(isWellFormed(bytes:)) ?? Array(key.utf8).withUnsafeBufferPointer(isWellFormed(bytes:))
    }

    private static func isWellFormed(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == length, bytes[0] == UInt8(ascii: "l"), bytes[1] == UInt8(ascii: "r"), bytes[2] == UInt8(ascii: "-") else {
            return false
        }
        var lastValue: UInt8 = 0
        for index in 3..<bytes.count {
            guard let value = base64URLValue(bytes[index]) else { return false }
            lastValue = value
        }
        return lastValue & 0b11 == 0
    }

    /// `lr-` + the first 8 body characters: enough to find the record, too little to matter.
    /// Only meaningful for well-formed keys.
    package static func prefix(of key: some StringProtocol) -> String {
        // By bytes: a well-formed key is ASCII, and `prefix` on characters walked graphemes.
        String(decoding: key.utf8.prefix(scheme.utf8.count + prefixBodyLength), as: UTF8.self)
    }

    private static func base64URLValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x41...0x5A: byte - 0x41  // A-Z
        case 0x61...0x7A: byte - 0x61 + 26  // a-z
        case 0x30...0x39: byte - 0x30 + 52  // 0-9
        case 0x2D: 62  // -
        case 0x5F: 63  // _
        default: nil
        }
    }
}
