import Foundation
import Yams

/// Reads `config.yaml` (SPEC §3) into a validated `Configuration`, or fails with every
/// problem found, each as `FILE:LINE:COLUMN: message`. Runs at start-up, on every
/// reload and for `config check`.
package enum ConfigLoader {
    package static func load(path: String, environment: [String: String]) throws(ConfigError) -> Configuration {
        let yaml = try read(path: path)
        var configuration = try parse(yaml: yaml, file: path, environment: environment)
        configuration.sourcePath = path
        return configuration
    }

    /// `file` only names the source in diagnostics.
    package static func parse(yaml: String, file: String, environment: [String: String]) throws(ConfigError)
        -> Configuration
    {
        let root: Node?
        do {
            // `.basic`: no implicit tag rules. The reader types scalars itself, and the default rules
            // compile six NSRegularExpressions, which loads ICU's regex engine and Unicode property
            // tables into the daemon (idle RSS, docs/benchmarks.md).
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw ConfigError(diagnostics: [syntaxDiagnostic(error, file: file, yaml: yaml)])
        } catch {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: 1, column: 1, message: "\(error)")])
        }
        guard let root, !ConfigReader.isNull(root) else {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: file, line: 1, column: 1, message: "config is empty")
            ])
        }
        let reader = ConfigReader(file: file, environment: environment)
        let configuration = reader.readConfiguration(root)
        guard reader.diagnostics.isEmpty else {
            // Where an editor shows them, in document order whatever order the sections were checked in.
            let placed = reader.diagnostics.map { diagnostic in
                var placed = diagnostic
                let position = SourcePosition(yamlLine: diagnostic.line, yamlColumn: diagnostic.column, in: yaml)
                (placed.line, placed.column) = (position.line, position.column)
                return placed
            }
            let ordered = placed.enumerated().sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            throw ConfigError(diagnostics: ordered.map(\.element))
        }
        return configuration
    }

    private static func read(path: String) throws(ConfigError) -> String {
        func failure(_ message: String) -> ConfigError {
            ConfigError(diagnostics: [ConfigDiagnostic(file: path, line: 0, column: 0, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("no such file (create one with 'localrouter init')")
        }
        guard !isDirectory.boolValue else { throw failure("is a directory, not a config file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("cannot read the file (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw failure("is not valid UTF-8 text") }
        return text
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String, yaml: String) -> ConfigDiagnostic {
        func place(_ mark: Mark) -> SourcePosition {
            SourcePosition(yamlLine: mark.line, yamlColumn: mark.column, in: yaml)
        }
        func diagnostic(_ mark: Mark, _ message: String) -> ConfigDiagnostic {
            let position = place(mark)
            return diagnosticAt(position.line, position.column, message)
        }
        func diagnosticAt(_ line: Int, _ column: Int, _ message: String) -> ConfigDiagnostic {
            ConfigDiagnostic(file: file, line: max(line, 1), column: max(column, 1), message: message)
        }
        func syntax(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ConfigDiagnostic {
            let during =
                context.map { context in
                    let position = place(context.mark)
                    return " (\(context.text) at \(position.line):\(position.column))"
                } ?? ""
            return diagnostic(mark, "YAML syntax error: \(problem)\(during)\(tabHint(at: place(mark), in: yaml))")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return syntax(context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return diagnostic(context.mark, "duplicate key \(keys) in the same mapping")
        case .reader(let problem, let offset, _, _):
            let (line, column) = position(atByteOffset: offset ?? 0, in: yaml)
            return diagnosticAt(line, column, "cannot read YAML: \(problem)")
        default:
            return ConfigDiagnostic(file: file, line: 1, column: 1, message: "YAML error: \(error)")
        }
    }

    /// libyaml's complaint about a tab says nothing of tabs.
    private static func tabHint(at position: SourcePosition, in yaml: String) -> String {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard position.line >= 1, position.line <= lines.count else { return "" }
        let line = lines[position.line - 1].unicodeScalars
        guard position.column >= 1, position.column <= line.count,
            line[line.index(line.startIndex, offsetBy: position.column - 1)] == "\t"
        else { return "" }
        return "; YAML is indented with spaces, not tabs"
    }

    private static func position(atByteOffset offset: Int, in yaml: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in yaml.utf8.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
