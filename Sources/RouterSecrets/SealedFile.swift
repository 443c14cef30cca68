import CSodium
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file sealed with XChaCha20-Poly1305 under the master key, replaced atomically.
///
/// Layout (version 1): magic `LRSF` | version (1 byte) | key id (16 bytes) | ciphertext length
/// (8 bytes, big-endian) | nonce (24 bytes) | ciphertext with tag. The whole header and a
/// context string (e.g. "keys") are authenticated, so a truncated, edited, swapped or
/// foreign-key file is refused before any of it is used.
package struct SealedFile: Sendable {
    static let magic: [UInt8] = Array("LRSF".utf8)
    static let version: UInt8 = 1
    static let keyIdentifierLength = 16
    static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    static let headerLength = magic.count + 1 + keyIdentifierLength + 8 + nonceLength

    package let url: URL
    package let context: String
    let masterKey: MasterKey

    package init(url: URL, masterKey: MasterKey, context: String) {
        self.url = url
        self.masterKey = masterKey
        self.context = context
    }

    package var backupURL: URL { URL(fileURLWithPath: url.path + ".bak") }

    /// The plaintext, or nil when the file does not exist.
    package func read() throws -> Data? {
        let path = url.path
        guard let contents = try FileSystem.readFile(at: path) else { return nil }
        return Data(try unseal(contents, path: path))
    }

    /// Replaces the file atomically: a 0600 temp file in the same directory, fsync, previous
    /// version kept as `.bak`, rename, fsync of the directory. Call under the file's lock.
    package func write(_ plaintext: Data) throws {
        let path = url.path
        let directory = FileSystem.directory(of: path)
        try FileSystem.makeDirectory(directory)
        let sealed = seal(Array(plaintext))

        let suffix = Sodium.randomBytes(6).map { String($0, radix: 16) }.joined()
        let temporaryPath = "\(path).tmp-\(suffix)"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SecretsError.system("create", path: temporaryPath) }
        do {
            defer { close(descriptor) }
            try FileSystem.writeAll(descriptor, sealed, path: temporaryPath)
            try FileSystem.sync(descriptor, path: temporaryPath)
        } catch {
            unlink(temporaryPath)
            throw error
        }
        do {
            try keepBackup(of: path)
            guard rename(temporaryPath, path) == 0 else { throw SecretsError.system("replace", path: path) }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        try FileSystem.syncDirectory(directory)
    }

    // MARK: Sealing

    func seal(_ plaintext: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialised()
        let nonce = Sodium.randomBytes(Self.nonceLength)
        let ciphertextLength = plaintext.count + Self.tagLength
        var header = Self.magic + [Self.version] + keyIdentifier()
        header += withUnsafeBytes(of: UInt64(ciphertextLength).bigEndian, Array.init)
        header += nonce
        let associatedData = header + Array(context.utf8)
        var ciphertext = [UInt8](repeating: 0, count: ciphertextLength)
        var written: UInt64 = 0
        let status = masterKey.withBytes { key in
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                &ciphertext, &written, plaintext, UInt64(plaintext.count),
                associatedData, UInt64(associatedData.count), nil, nonce, key)
        }
        precondition(status == 0 && written == UInt64(ciphertextLength), "XChaCha20-Poly1305 encryption failed")
        return header + ciphertext
    }

    func unseal(_ contents: [UInt8], path: String) throws -> [UInt8] {
        Sodium.ensureInitialised()
        let magicLength = Self.magic.count
        guard contents.count >= magicLength, Array(contents[0..<magicLength]) == Self.magic else {
            if contents.count < magicLength, Array(Self.magic.prefix(contents.count)) == contents {
                throw SecretsError(.truncated, "\(path) is truncated (\(contents.count) bytes); it was not changed")
            }
            throw SecretsError(.notSealed, "\(path) is not a LocalRouter encrypted file; it was not changed")
        }
        guard contents.count >= Self.headerLength else {
            throw SecretsError(.truncated, "\(path) is truncated (\(contents.count) bytes, header incomplete); it was not changed")
        }
        let version = contents[magicLength]
        guard version == Self.version else {
            throw SecretsError(
                .unsupportedVersion,
                "\(path) has format version \(version); this build reads version \(Self.version). It was not changed")
        }
        var offset = magicLength + 1
        let storedKeyIdentifier = Array(contents[offset..<offset + Self.keyIdentifierLength])
        offset += Self.keyIdentifierLength
        let ciphertextLength = contents[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        offset += 8
        let nonce = Array(contents[offset..<offset + Self.nonceLength])
        offset += Self.nonceLength
        let actualLength = UInt64(contents.count - Self.headerLength)
        if actualLength < ciphertextLength {
            throw SecretsError(
                .truncated,
                "\(path) is truncated (\(contents.count) of \(UInt64(Self.headerLength) + ciphertextLength) bytes); it was not changed"
            )
        }
        if actualLength > ciphertextLength || ciphertextLength < UInt64(Self.tagLength) {
            throw SecretsError(.tampered, "\(path) has been modified or corrupted (unexpected length); it was not changed")
        }
        guard Sodium.constantTimeEqual(storedKeyIdentifier, keyIdentifier()) else {
            throw SecretsError(
                .wrongMasterKey,
                "\(path) was encrypted with a different master key; it was not changed. Check which master.key is in use")
        }
        let header = Array(contents[0..<Self.headerLength])
        let associatedData = header + Array(context.utf8)
        let ciphertext = Array(contents[Self.headerLength...])
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - Self.tagLength)
        var plaintextLength: UInt64 = 0
        let status = masterKey.withBytes { key in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                &plaintext, &plaintextLength, nil, ciphertext, UInt64(ciphertext.count),
                associatedData, UInt64(associatedData.count), nonce, key)
        }
        guard status == 0 else {
            throw SecretsError(
                .tampered,
                "\(path) failed authentication: it was modified, corrupted or is not a \(context) file; it was not changed"
            )
        }
        return plaintext
    }

    /// Identifies the master key (keyed BLAKE2b of a constant) so a wrong key is told apart from
    /// tampering; reveals nothing about the key.
    private func keyIdentifier() -> [UInt8] {
        masterKey.withBytes { key in
            Sodium.genericHash(
                Array("localrouter sealed-file key id v1".utf8),
                key: Array(UnsafeBufferPointer(start: key, count: MasterKey.byteCount)),
                outputLength: Self.keyIdentifierLength)
        }
    }

    /// Keeps the current file as `.bak` by hard link (then atomic rename), falling back to a copy
    /// on file systems without links. The live file is never missing.
    private func keepBackup(of path: String) throws {
        guard FileSystem.exists(path) else { return }
        let backupPath = path + ".bak"
        let temporaryBackup = backupPath + ".tmp"
        unlink(temporaryBackup)
        if link(path, temporaryBackup) != 0 {
            guard let contents = try FileSystem.readFile(at: path) else { return }
            let descriptor = open(temporaryBackup, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw SecretsError.system("create", path: temporaryBackup) }
            defer { close(descriptor) }
            try FileSystem.writeAll(descriptor, contents, path: temporaryBackup)
            try FileSystem.sync(descriptor, path: temporaryBackup)
        }
        guard rename(temporaryBackup, backupPath) == 0 else {
            unlink(temporaryBackup)
            throw SecretsError.system("keep backup", path: backupPath)
        }
    }
}
