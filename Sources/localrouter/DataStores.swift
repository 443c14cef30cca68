import Foundation
import RouterSecrets

/// Opens the encrypted stores of the data directory (SPEC §1, §6) for the `keys` and `secrets`
/// commands. The master key is never created here: under systemd the daemon reads it from its
/// credential directory, which a shell does not see, so a key made on the fly would seal files
/// the daemon cannot open. `localrouter init` creates it.
enum DataStores {
    static var dataDirectory: URL {
        URL(fileURLWithPath: CLIContext.paths(explicitConfig: nil).dataDirectory)
    }

    static var masterKeyFile: URL {
        MasterKey.locate(environment: CLIContext.environment, dataDirectory: dataDirectory)
    }

    static var keysFile: URL { dataDirectory.appendingPathComponent(KeyStore.fileName) }
    static var secretsFile: URL { dataDirectory.appendingPathComponent(SecretStore.fileName) }

    static func masterKey() throws -> MasterKey {
        let file = masterKeyFile
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CLIError(
                "no master key at \(file.path): run `localrouter init` first (or set LOCALROUTER_MASTER_KEY_FILE to an existing key file)")
        }
        return try MasterKey.load(from: file)
    }

    static func keyStore() throws -> KeyStore {
        KeyStore(url: keysFile, masterKey: try masterKey())
    }

    /// nil when `keys.enc` does not exist yet (listing needs no master key then).
    static func existingKeyStore() throws -> KeyStore? {
        FileManager.default.fileExists(atPath: keysFile.path) ? try keyStore() : nil
    }

    static func secretStore() throws -> SecretStore {
        SecretStore(url: secretsFile, masterKey: try masterKey())
    }

    static func existingSecretStore() throws -> SecretStore? {
        FileManager.default.fileExists(atPath: secretsFile.path) ? try secretStore() : nil
    }
}
