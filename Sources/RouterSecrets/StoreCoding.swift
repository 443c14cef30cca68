import Foundation

/// JSON coding shared by the sealed stores. Decoding errors are replaced by a message naming
/// only the file, since Foundation's messages can quote the (secret) content.
enum StoreCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data, path: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw SecretsError(.unreadableContents, "\(path) decrypted but its contents are not understood; it was not changed")
        }
    }

    static func checkVersion(_ version: Int, path: String) throws {
        guard version == 1 else {
            throw SecretsError(.unsupportedVersion, "\(path) holds data version \(version); this build reads version 1")
        }
    }
}
