import CCrypt
import CSodium
import Foundation

/// bcrypt (`$2b$`) through libxcrypt. Slow on purpose: keep it off the request path
/// (see `KeyVerifier`).
package enum Bcrypt {
    package static let minimumCost = 4
    package static let maximumCost = 31
    package static let defaultCost = 12

    package static func hash(_ secret: String, cost: Int = defaultCost) throws -> String {
        guard (minimumCost...maximumCost).contains(cost) else {
            throw SecretsError(.invalidArgument, "bcrypt cost must be \(minimumCost)...\(maximumCost), not \(cost)")
        }
        guard !secret.utf8.contains(0) else {
            throw SecretsError(.invalidArgument, "a secret to hash cannot contain a NUL character")
        }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let settingCount = Int32(setting.count)
        // A nil random source makes libxcrypt read the OS RNG.
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, settingCount) != nil else {
            throw SecretsError(.bcryptFailed, "bcrypt salt generation failed")
        }
        let settingText = setting.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let result = crypt(secret, setting: settingText) else {
            throw SecretsError(.bcryptFailed, "bcrypt hashing failed")
        }
        return result
    }

    /// Constant-time comparison of the recomputed hash; false for anything that is not bcrypt.
    package static func verify(_ secret: String, against hash: String) -> Bool {
        guard hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$") || hash.hasPrefix("$2a$"),
            !secret.utf8.contains(0),
            let recomputed = crypt(secret, setting: hash)
        else { return false }
        return Sodium.constantTimeEqual(Array(recomputed.utf8), Array(hash.utf8))
    }

    /// The cost encoded in a bcrypt hash (`$2b$12$...` → 12).
    package static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("2") else { return nil }
        return Int(parts[1])
    }

    /// `crypt_rn` with a heap-allocated, zeroed `crypt_data` (~32 KiB: too big for a thread's stack),
    /// wiped again afterwards because it held the passphrase.
    private static func crypt(_ phrase: String, setting: String) -> String? {
        let size = MemoryLayout<crypt_data>.size
        guard let data = calloc(1, size) else { return nil }
        defer {
            sodium_memzero(data, size)
            free(data)
        }
        guard let output = crypt_rn(phrase, setting, data, Int32(size)) else { return nil }
        let result = String(cString: output)
        // libxcrypt signals failure with a string starting with '*'.
        return result.hasPrefix("*") ? nil : result
    }
}
