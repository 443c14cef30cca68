/// Key and secret names: they appear in access logs and in `secret:NAME` references, so they
/// stay short and shell- and YAML-safe.
enum ItemName {
    static let maximumLength = 64

    static func validate(_ name: String, kind: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F: true  // A-Z a-z 0-9 - . _
            default: false
            }
        }
        guard !name.isEmpty, name.count <= maximumLength, allowed, name.first != "-", name.first != "." else {
            throw SecretsError(
                .invalidName,
                "invalid \(kind) name \(quoted(name)): use 1-\(maximumLength) letters, digits, '.', '_' or '-', not starting with '-' or '.'"
            )
        }
        // A pasted key is a mistake, and would then be printed by `keys list`.
        guard !APIKey.isWellFormed(name) else {
            throw SecretsError(.invalidName, "invalid \(kind) name: it is an lr- key; choose a descriptive name")
        }
    }

    /// The name for an error message, unless it looks like a pasted credential
    /// (users do paste keys where names go): long, or with a key-like prefix.
    static func quoted(_ name: String) -> String {
        let lowercased = name.lowercased()
        if name.count > 32 || lowercased.hasPrefix("lr-") || lowercased.hasPrefix("sk-") {
            return "(not shown: it may be a credential)"
        }
        return "'\(name)'"
    }
}
