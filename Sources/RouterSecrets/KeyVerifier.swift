import Foundation

/// Checks presented `lr-` keys without a bcrypt per request.
///
/// - Malformed keys and unknown prefixes are refused with no bcrypt.
/// - A key that verified once is remembered by a keyed 128-bit SipHash digest (never the key
///   itself; the hash key is random per process) and recognised in microseconds; each hit is
///   re-checked against the current record's hash, state and expiry, so revoke, rotate, disable
///   and expiry take effect at once.
/// - A wrong key with a known prefix costs one bcrypt, then sits in a bounded negative cache.
/// - bcrypt runs on `BcryptWorker`'s dedicated thread with a bounded queue; concurrent checks of
///   the same key share one bcrypt; when the queue is full the check fails fast as `.overloaded`.
package final class KeyVerifier: Sendable {
    private struct CacheEntry {
        let prefix: String
        let hash: String
    }

    private struct State {
        var recordsByPrefix: [String: KeyRecord] = [:]
        var verified: [KeyDigest: CacheEntry] = [:]
        var rejected: [KeyDigest: CacheEntry] = [:]
        var rejectedOrder: [KeyDigest] = []
        var waiting: [KeyDigest: [CheckedContinuation<Bool?, Never>]] = [:]
        var bcryptRuns = 0
    }

    private enum Step {
        case done(KeyVerification)
        case bcrypt(KeyRecord)
    }

    private let state = LockedState(State())
    private let worker: BcryptWorker
    private let digestKey = Sodium.randomBytes(16)
    private let negativeCacheCapacity: Int
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - bcryptThreads: bcrypts allowed at once (1 leaves a core for serving on a 2-core machine).
    ///   - bcryptQueueCapacity: checks allowed to wait for a bcrypt thread before failing fast.
    ///   - negativeCacheCapacity: distinct wrong keys remembered (oldest forgotten first).
    package init(
        records: [KeyRecord], bcryptThreads: Int = 1, bcryptQueueCapacity: Int = 8,
        negativeCacheCapacity: Int = 1024, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        worker = BcryptWorker(threadCount: bcryptThreads, queueCapacity: bcryptQueueCapacity)
        self.negativeCacheCapacity = max(1, negativeCacheCapacity)
        self.now = now
        replaceRecords(records)
    }

    /// How many bcrypts have run (for `status` and tests).
    package var bcryptRuns: Int {
        state.withLock { $0.bcryptRuns }
    }

    package func verify(_ presentedKey: String) async -> KeyVerification {
        await verify(presentedKey[...])
    }

    /// A key as it stands in a request's header, not copied out of it.
    package func verify(_ presentedKey: Substring) async -> KeyVerification {
        guard APIKey.isWellFormed(presentedKey) else { return .invalid(.malformed) }
        let digest = KeyDigest(of: presentedKey, hashKey: digestKey)
        let prefix = APIKey.prefix(of: presentedKey)
        let date = now()

        let step: Step = state.withLock { state in
            if let verification = Self.cachedVerification(of: digest, at: date, in: &state) { return .done(verification) }
            guard let record = state.recordsByPrefix[prefix] else { return .done(.invalid(.unknown)) }
            if let entry = state.rejected[digest], entry.hash == record.hash { return .done(.invalid(.unknown)) }
            // An unusable record is refused without spending a bcrypt on it.
            guard record.isUsable(at: date) else { return .done(Self.evaluate(record, at: date)) }
            return .bcrypt(record)
        }
        let record: KeyRecord
        switch step {
        case .done(let verification): return verification
        case .bcrypt(let candidate): record = candidate
        }

        switch await bcrypt(String(presentedKey), against: record.hash, digest: digest) {
        case nil:
            return .invalid(.overloaded)
        case false?:
            state.withLock { state in
                guard state.rejected[digest] == nil else { return }
                state.rejected[digest] = CacheEntry(prefix: prefix, hash: record.hash)
                state.rejectedOrder.append(digest)
                if state.rejectedOrder.count > negativeCacheCapacity {
                    state.rejected[state.rejectedOrder.removeFirst()] = nil
                }
            }
            return .invalid(.unknown)
        case true?:
            return state.withLock { state in
                // The records may have been replaced while bcrypt ran.
                guard let current = state.recordsByPrefix[prefix], current.hash == record.hash else {
                    return .invalid(.unknown)
                }
                state.verified[digest] = CacheEntry(prefix: prefix, hash: record.hash)
                return Self.evaluate(current, at: now())
            }
        }
    }

    /// A key that verified before, known without a bcrypt or a suspension (`EventLoopProxy`): its
    /// record while it may be used; nil for whatever `verify` must decide (a new, wrong, revoked,
    /// disabled or expired key).
    package func verifiedRecord(_ presentedKey: Substring) -> KeyRecord? {
        guard APIKey.isWellFormed(presentedKey) else { return nil }
        let digest = KeyDigest(of: presentedKey, hashKey: digestKey)
        let date = now()
        if case .valid(let record)? = state.withLock({ Self.cachedVerification(of: digest, at: date, in: &$0) }) { return record }
        return nil
    }

    /// The verdict on a key that verified before, from its current record (which may since have
    /// been revoked, disabled, rotated or expired); nil when it never verified or was rotated.
    private static func cachedVerification(of digest: KeyDigest, at date: Date, in state: inout State) -> KeyVerification? {
        guard let entry = state.verified[digest] else { return nil }
        if let record = state.recordsByPrefix[entry.prefix], record.hash == entry.hash { return evaluate(record, at: date) }
        state.verified[digest] = nil
        return nil
    }

    /// Live reload: swaps in the current records and forgets cache entries whose record vanished
    /// or whose hash changed (rotation). State and expiry are re-checked on every hit anyway.
    package func replaceRecords(_ records: [KeyRecord]) {
        var byPrefix: [String: KeyRecord] = [:]
        for record in records {
            // Prefixes are unique by construction; should two collide, the live one wins.
            if let existing = byPrefix[record.prefix], existing.state != .revoked, record.state == .revoked { continue }
            byPrefix[record.prefix] = record
        }
        state.withLock { state in
            state.recordsByPrefix = byPrefix
            state.verified = state.verified.filter { byPrefix[$0.value.prefix]?.hash == $0.value.hash }
            state.rejected = state.rejected.filter { byPrefix[$0.value.prefix]?.hash == $0.value.hash }
            state.rejectedOrder.removeAll { state.rejected[$0] == nil }
        }
    }

    private static func evaluate(_ record: KeyRecord, at date: Date) -> KeyVerification {
        switch record.state {
        case .revoked: return .invalid(.revoked)
        case .disabled: return .invalid(.disabled)
        case .active: return record.isExpired(at: date) ? .invalid(.expired) : .valid(record)
        }
    }

    /// One bcrypt per digest at a time: later callers for the same key wait for the first one's
    /// answer. nil when the worker queue is full.
    private func bcrypt(_ key: String, against hash: String, digest: KeyDigest) async -> Bool? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool?, Never>) in
            let isFirst = state.withLock { state in
                let isFirst = state.waiting[digest] == nil
                state.waiting[digest, default: []].append(continuation)
                return isFirst
            }
            guard isFirst else { return }
            let accepted = worker.submit { [self] in
                let matches = Bcrypt.verify(key, against: hash)
                finish(digest, result: matches, countingRun: true)
            }
            if !accepted { finish(digest, result: nil, countingRun: false) }
        }
    }

    private func finish(_ digest: KeyDigest, result: Bool?, countingRun: Bool) {
        let waiters = state.withLock { state in
            if countingRun { state.bcryptRuns += 1 }
            return state.waiting.removeValue(forKey: digest) ?? []
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }
}

/// A keyed digest of a presented key, as two words: a dictionary key hashed in two steps (a
/// `[UInt8]` key is hashed byte by byte, which showed in the per-request profile).
struct KeyDigest: Hashable, Sendable {
    private var words: (UInt64, UInt64) = (0, 0)

    /// Keyed SipHash-2-4-128 of the key's bytes with a per-process random key: the cache is
    /// indexed by a value that cannot be computed, or matched by another key, without that key
    /// (128 bits; a second key with the same digest takes ~2^128 online guesses). Keyed BLAKE2b-256
    /// with two arrays made per request cost ~3,200 instructions; this ~500.
    init(of key: String, hashKey: [UInt8]) {
        self.init(of: key[...], hashKey: hashKey)
    }

    init(of key: Substring, hashKey: [UInt8]) {
        var key = key
        key.withUTF8 { bytes in
            withUnsafeMutableBytes(of: &words) { Sodium.shortHash128(UnsafeRawBufferPointer(bytes), key: hashKey, into: $0) }
        }
    }

    static func == (lhs: KeyDigest, rhs: KeyDigest) -> Bool {
        lhs.words == rhs.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }
}
