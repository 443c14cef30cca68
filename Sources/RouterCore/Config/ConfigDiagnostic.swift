/// One problem found in a config file, pinned at the offending key or value so that
/// editors and `config check` can jump to it (SPEC §2: `FILE:LINE:COLUMN: message`).
package struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    package var file: String
    /// 1-based; 0 when the problem concerns the whole file (it could not be read).
    package var line: Int
    /// 1-based, counted in Unicode scalars as libyaml does; 0 with `line` 0.
    package var column: Int
    package var message: String

    package init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    package var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}
