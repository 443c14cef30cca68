import Foundation
import RouterCore
import RouterSecrets
import RouterServer

/// Resolves `api_key: secret:NAME` from `secrets.enc`, reading the store once per (re)load.
enum SecretLookup {
    static func resolver(paths: ConfigPaths, environment: [String: String]) -> CredentialResolver {
        let values: Result<[String: String], CredentialProblem> = {
            let dataDirectory = URL(fileURLWithPath: paths.dataDirectory)
            let secretsFile = dataDirectory.appendingPathComponent(SecretStore.fileName)
            guard FileManager.default.fileExists(atPath: secretsFile.path) else { return .success([:]) }
            do {
                let masterKey = try MasterKey.load(from: MasterKey.locate(environment: environment, dataDirectory: dataDirectory))
                return .success(try SecretStore(url: secretsFile, masterKey: masterKey).allValues())
            } catch {
                return .failure(CredentialProblem("cannot read \(secretsFile.path): \(error)"))
            }
        }()
        return { name in
            switch values {
            case .failure(let problem): return .failure(problem)
            case .success(let secrets):
                guard let value = secrets[name] else {
                    return .failure(CredentialProblem("secret '\(name)' is not set (run: localrouter secrets set \(name))"))
                }
                return .success(value)
            }
        }
    }
}
