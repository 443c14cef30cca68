import Foundation
import Testing

@testable import RouterSecrets

@Suite struct APIKeyTests {
    @Test func generatedKeysHaveTheDocumentedFormat() {
        let key = APIKey.generate()
        #expect(key.hasPrefix("lr-"))
        #expect(key.count == 46)
        let body = key.dropFirst(3)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(body.allSatisfy { alphabet.contains($0) })
        #expect(APIKey.isWellFormed(key))
        // The body decodes to exactly 32 bytes.
        var base64 = body.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += "="
        #expect(Data(base64Encoded: base64)?.count == 32)
    }

    @Test func generatedKeysDiffer() {
        let keys = Set((0..<100).map { _ in APIKey.generate() })
        #expect(keys.count == 100)
    }

    @Test func malformedKeysAreRejected() {
        let key = APIKey.generate()
        #expect(!APIKey.isWellFormed(""))
        #expect(!APIKey.isWellFormed("lr-"))
        #expect(!APIKey.isWellFormed(String(key.dropLast())))
        #expect(!APIKey.isWellFormed(key + "A"))
        #expect(!APIKey.isWellFormed("sk-" + key.dropFirst(3)))
        #expect(!APIKey.isWellFormed("lr-" + String(repeating: "A", count: 42) + "="))
        #expect(!APIKey.isWellFormed("lr-" + String(repeating: "A", count: 42) + "+"))
        // 43 characters carry 258 bits: the last one must leave the two spare bits zero.
        #expect(APIKey.isWellFormed("lr-" + String(repeating: "A", count: 42) + "E"))
        #expect(!APIKey.isWellFormed("lr-" + String(repeating: "A", count: 42) + "B"))
        // Checked byte by byte: a character outside ASCII fails whether counted in bytes or characters.
        #expect(!APIKey.isWellFormed("lr-" + String(repeating: "A", count: 40) + "é" + "E"))
        #expect(!APIKey.isWellFormed("lr-" + String(repeating: "A", count: 42) + "é"))
    }

    @Test func prefixIsSchemePlusEightCharacters() {
        let key = APIKey.generate()
        let prefix = APIKey.prefix(of: key)
        #expect(prefix.count == 11)
        #expect(key.hasPrefix(prefix))
        #expect(prefix.hasPrefix("lr-"))
    }
}

@Suite struct ModelGlobTests {
    @Test(arguments: [
        ("*", "smart", true),
        ("*", "openai/gpt-4.1", true),
        ("smart", "smart", true),
        ("smart", "smarter", false),
        ("mock/*", "mock/echo", true),
        ("mock/*", "mock/a/b", true),
        ("mock/*", "openai/gpt-4.1", false),
        ("openai/gpt-4.?", "openai/gpt-4.1", true),
        ("openai/gpt-4.?", "openai/gpt-4.10", false),
        ("*gpt*", "openai/gpt-4.1", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbYd", false),
        ("Smart", "smart", false),
    ])
    func globs(pattern: String, model: String, expected: Bool) {
        #expect(ModelGlob.matches(pattern: pattern, model) == expected)
    }

    @Test func recordAllowsModels() {
        var record = KeyRecord(name: "k", prefix: "lr-AAAAAAAA", hash: "x", createdAt: Date())
        #expect(record.allows(model: "anything"))
        record.models = ["smart", "mock/*"]
        #expect(record.allows(model: "smart"))
        #expect(record.allows(model: "mock/fast"))
        #expect(!record.allows(model: "openai/gpt-4.1"))
    }
}

@Suite struct BcryptTests {
    @Test func verifiesTheRightSecretOnly() throws {
        let hash = try Bcrypt.hash("correct horse", cost: 4)
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(hash.count == 60)
        #expect(Bcrypt.verify("correct horse", against: hash))
        #expect(!Bcrypt.verify("correct horsf", against: hash))
        #expect(!Bcrypt.verify("", against: hash))
        #expect(!Bcrypt.verify("correct horse", against: "not a hash"))
        #expect(!Bcrypt.verify("correct horse", against: String(hash.dropLast())))
        #expect(try Bcrypt.hash("correct horse", cost: 4) != hash)  // fresh salt each time
    }

    @Test func defaultCostIsTwelve() throws {
        let hash = try Bcrypt.hash("secret")
        #expect(hash.hasPrefix("$2b$12$"))
        #expect(Bcrypt.cost(of: hash) == 12)
    }

    @Test func refusesAnOutOfRangeCost() {
        #expect(secretsError { _ = try Bcrypt.hash("secret", cost: 3) }?.code == .invalidArgument)
        #expect(secretsError { _ = try Bcrypt.hash("secret", cost: 32) }?.code == .invalidArgument)
    }
}
