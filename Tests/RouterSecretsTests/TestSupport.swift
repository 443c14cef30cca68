import Foundation
import Testing

@testable import RouterSecrets

/// A fresh directory under the system temp dir; remove it with `removeDirectory`.
func makeTemporaryDirectory() throws -> URL {
    var template = Array((NSTemporaryDirectory() + "/router-secrets-XXXXXX").utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer in
        mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
    return URL(fileURLWithPath: try #require(path))
}

func removeDirectory(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}

func permissions(of url: URL) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue
}

func contents(of url: URL) throws -> Data {
    try Data(contentsOf: url)
}

/// The error a throwing expression produced, as SecretsError.
func secretsError(_ body: () throws -> Void) -> SecretsError? {
    do {
        try body()
        return nil
    } catch let error as SecretsError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        current += seconds
        lock.unlock()
    }
}
