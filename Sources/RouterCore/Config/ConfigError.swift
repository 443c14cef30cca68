/// Every problem found while loading a config; loading never stops at the first one
/// so that `config check` can list them all.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var diagnostics: [ConfigDiagnostic]

    package init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line.
    package var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
