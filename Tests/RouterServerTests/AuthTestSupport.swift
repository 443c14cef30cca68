import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RouterSecrets
import Synchronization
@testable import RouterServer

/// A wall clock tests can move, shared by the key store and the verifier.
final class AuthTestClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// A temporary data directory with a master key and a `keys.enc` written with cheap bcrypt
/// (cost 4: the daemon verifies whatever cost a hash carries), removed when released.
final class AuthKeyFixture: Sendable {
    let directory: URL
    let clock = AuthTestClock()
    let store: KeyStore

    var keysFile: URL { directory.appendingPathComponent(KeyStore.fileName) }
    var masterKeyFile: URL { directory.appendingPathComponent(MasterKey.fileName) }

    init(createMasterKey: Bool = true) throws {
        let path = NSTemporaryDirectory() + "/auth-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        directory = URL(fileURLWithPath: path)
        let masterKey = createMasterKey ? try MasterKey.create(at: directory.appendingPathComponent(MasterKey.fileName)) : MasterKey.generate()
        let clock = self.clock
        store = KeyStore(url: directory.appendingPathComponent(KeyStore.fileName), masterKey: masterKey, bcryptCost: 4, now: { clock.now })
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func makeKeyRing(bcryptQueueCapacity: Int = 8) throws -> ClientKeyRing {
        let clock = self.clock
        return try ClientKeyRing(keysFile: keysFile, masterKeyFile: masterKeyFile, bcryptQueueCapacity: bcryptQueueCapacity, now: { clock.now })
    }
}

struct AuthResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: String
}

/// One request with arbitrary headers.
func authRequest(
    _ base: String, _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], json: String? = nil
) async throws -> AuthResponse {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 16 << 20)
    return AuthResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
}

func bearer(_ key: String) -> [(String, String)] { [("authorization", "Bearer \(key)")] }

let echoChat = #"{"model":"mock/echo","messages":[{"role":"user","content":"ping"}]}"#

/// Dates survive keys.enc as seconds since 1970 in a Double: equal to within a millisecond.
func sameInstant(_ left: Date?, _ right: Date?) -> Bool {
    guard let left, let right else { return left == nil && right == nil }
    return abs(left.timeIntervalSince(right)) < 0.001
}
