import Foundation
import RouterSecrets
import Synchronization

/// The daemon's view of the issued `lr-` keys: the verifier the auth middleware asks, the
/// `keys.enc` it is loaded from, and last-used times waiting to be written back in a batch.
///
/// Nothing here runs per request except `verifier.verify` and `noteUsed` (a dictionary write
/// under a lock); file reads and writes happen in `reloadKeys` and `flushLastUsed`, which the
/// `KeyRingService` runs off the request path.
package final class ClientKeyRing: Sendable {
    package let verifier: KeyVerifier
    package let keysFile: URL
    package let masterKeyFile: URL
    /// nil until a master key exists: with no master key and no `keys.enc` the daemon still runs,
    /// refusing every key, and picks the key up once `init` creates it.
    private let store: Mutex<KeyStore?>
    private let pendingLastUsed = Mutex<[String: Date]>([:])
    private let usable = Atomic<Int>(0)
    private let now: @Sendable () -> Date

    /// Loads the keys at daemon start. Throws, so `serve` refuses to start, when the master key is
    /// readable by others or invalid, or when `keys.enc` exists but cannot be read or authenticated.
    package init(
        keysFile: URL, masterKeyFile: URL, bcryptThreads: Int = 1, bcryptQueueCapacity: Int = 8,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.keysFile = keysFile
        self.masterKeyFile = masterKeyFile
        self.now = now
        let store = try Self.openStore(keysFile: keysFile, masterKeyFile: masterKeyFile, now: now)
        let records = try store?.list() ?? []
        self.store = Mutex(store)
        verifier = KeyVerifier(records: records, bcryptThreads: bcryptThreads, bcryptQueueCapacity: bcryptQueueCapacity, now: now)
        usable.store(Self.usableCount(records, at: now()), ordering: .relaxed)
    }

    /// Keys that are active and not expired, as of the last load.
    package var usableKeyCount: Int { usable.load(ordering: .relaxed) }

    /// Re-reads `keys.enc` and swaps the records into the verifier; created, revoked, rotated,
    /// disabled and enabled keys take effect for the next request. On error the previous records
    /// stay in force (a damaged file neither unlocks nor drops keys). Blocking file I/O: call it
    /// off the cooperative pool. Returns the number of usable keys.
    @discardableResult
    package func reloadKeys() throws -> Int {
        let records = try currentStore()?.list() ?? []
        verifier.replaceRecords(records)
        let count = Self.usableCount(records, at: now())
        usable.store(count, ordering: .relaxed)
        return count
    }

    /// Remembers that a key was used; written to `keys.enc` by the next `flushLastUsed`.
    package func noteUsed(_ keyName: String) {
        let date = now()
        pendingLastUsed.withLock { $0[keyName] = date }
    }

    /// Writes the batched last-used times (one locked read-modify-write of `keys.enc`).
    /// On failure the times are kept for the next attempt. Blocking file I/O.
    package func flushLastUsed() throws {
        let times = pendingLastUsed.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        guard !times.isEmpty, let store = store.withLock({ $0 }) else { return }
        do {
            try store.recordLastUsed(times)
        } catch {
            pendingLastUsed.withLock { pending in
                pending.merge(times) { newer, older in max(newer, older) }
            }
            throw error
        }
    }

    private func currentStore() throws -> KeyStore? {
        if let store = store.withLock({ $0 }) { return store }
        guard let opened = try Self.openStore(keysFile: keysFile, masterKeyFile: masterKeyFile, now: now) else { return nil }
        return store.withLock { store in
            if store == nil { store = opened }
            return store
        }
    }

    private static func openStore(keysFile: URL, masterKeyFile: URL, now: @escaping @Sendable () -> Date) throws -> KeyStore? {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: masterKeyFile.path) else {
            if fileManager.fileExists(atPath: keysFile.path) {
                throw SecretsError(
                    .masterKeyMissing,
                    "\(keysFile.path) exists but the master key \(masterKeyFile.path) does not; restore it, or point $LOCALROUTER_MASTER_KEY_FILE at it"
                )
            }
            return nil
        }
        let masterKey = try MasterKey.load(from: masterKeyFile)
        return KeyStore(url: keysFile, masterKey: masterKey, now: now)
    }

    private static func usableCount(_ records: [KeyRecord], at date: Date) -> Int {
        records.filter { $0.isUsable(at: date) }.count
    }
}
