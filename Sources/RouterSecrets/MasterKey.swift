import CSodium
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The 32-byte key that seals `keys.enc` and `secrets.enc`. Its bytes never appear in a
/// description, a dump or an error.
package struct MasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package static let byteCount = 32
    package static let fileName = "master.key"

    let storage: Storage

    /// From raw bytes; throws unless there are exactly 32.
    package init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw SecretsError(.masterKeyInvalid, "a master key must be \(Self.byteCount) bytes, not \(bytes.count)")
        }
        storage = Storage(bytes)
    }

    /// A fresh random key.
    package static func generate() -> MasterKey {
        var bytes = Sodium.randomBytes(byteCount)
        defer { Sodium.zero(&bytes) }
        return try! MasterKey(bytes: bytes)
    }

    package var description: String { "MasterKey(32 bytes)" }
    package var debugDescription: String { description }
    package var customMirror: Mirror { Mirror(self, children: [:]) }

    func withBytes<Result>(_ body: (UnsafePointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(storage.pointer)
    }

    // MARK: Finding, loading and creating the key file

    /// Where the key file is, first that applies: the systemd credential
    /// `$CREDENTIALS_DIRECTORY/master.key` (when that file exists), `$LOCALROUTER_MASTER_KEY_FILE`,
    /// then `master.key` in the data directory.
    package static func locate(environment: [String: String], dataDirectory: URL) -> URL {
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            let candidate = URL(fileURLWithPath: credentials).appendingPathComponent(fileName)
            if FileSystem.exists(candidate.path) { return candidate }
        }
        if let explicit = environment["LOCALROUTER_MASTER_KEY_FILE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return dataDirectory.appendingPathComponent(fileName)
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (surrounding whitespace ignored).
    /// Refuses a file that group or others may access, as ssh does.
    package static func load(from url: URL) throws -> MasterKey {
        let path = url.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT {
                throw SecretsError(.masterKeyMissing, "master key \(path) does not exist; run: localrouter init")
            }
            throw SecretsError.system("open master key", path: path)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SecretsError.system("stat master key", path: path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SecretsError(.masterKeyInvalid, "master key \(path) is not a regular file")
        }
        if status.st_mode & 0o077 != 0 {
            throw SecretsError(
                .masterKeyExposed,
                "master key \(path) is readable by others; run: chmod 600 \(path)")
        }
        var contents = try FileSystem.readAll(descriptor, path: path)
        defer { Sodium.zero(&contents) }
        if contents.count == byteCount { return try MasterKey(bytes: contents) }
        if var decoded = decodeHex(contents) {
            defer { Sodium.zero(&decoded) }
            if decoded.count == byteCount { return try MasterKey(bytes: decoded) }
        }
        throw SecretsError(
            .masterKeyInvalid,
            "master key \(path) is invalid: expected \(byteCount) raw bytes or \(byteCount * 2) hex digits, found \(contents.count) bytes"
        )
    }

    /// Creates a new key file: 0600, holding 64 hex digits and a newline, in a directory created 0700.
    /// Refuses to replace an existing file.
    @discardableResult
    package static func create(at url: URL) throws -> MasterKey {
        let path = url.path
        let directory = FileSystem.directory(of: path)
        try FileSystem.makeDirectory(directory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST {
                throw SecretsError(.masterKeyExists, "master key \(path) already exists; it was not changed")
            }
            throw SecretsError.system("create master key", path: path)
        }
        let key = generate()
        do {
            defer { close(descriptor) }
            guard fchmod(descriptor, 0o600) == 0 else { throw SecretsError.system("chmod", path: path) }
            var text = Array(key.hexEncoded().utf8) + [0x0A]
            defer { Sodium.zero(&text) }
            try FileSystem.writeAll(descriptor, text, path: path)
            try FileSystem.sync(descriptor, path: path)
        } catch {
            unlink(path)
            throw error
        }
        try FileSystem.syncDirectory(directory)
        return key
    }

    private func hexEncoded() -> String {
        withBytes { pointer in
            (0..<Self.byteCount).map { index in
                let byte = pointer[index]
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }.joined()
        }
    }

    private static func decodeHex(_ contents: [UInt8]) -> [UInt8]? {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        let trimmed = contents.drop(while: { whitespace.contains($0) }).reversed().drop(while: { whitespace.contains($0) }).reversed()
        let digits = Array(trimmed)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case 0x30...0x39: character - 0x30
        case 0x61...0x66: character - 0x61 + 10
        case 0x41...0x46: character - 0x41 + 10
        default: nil
        }
    }

    /// Immutable after init and wiped on release, so sharing it across threads is safe.
    final class Storage: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<UInt8>

        init(_ bytes: [UInt8]) {
            pointer = .allocate(capacity: MasterKey.byteCount)
            pointer.initialize(from: bytes, count: MasterKey.byteCount)
        }

        deinit {
            sodium_memzero(pointer, MasterKey.byteCount)
            pointer.deallocate()
        }
    }
}
