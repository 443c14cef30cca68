import Yams

/// One `key: value` pair of a YAML mapping, with the dotted path used in messages.
struct ConfigEntry {
    var key: String
    var keyMark: Mark?
    var value: Node
    var path: String
}

/// A YAML mapping whose keys have been checked.
struct ConfigMapping {
    var entries: [ConfigEntry]
    var mark: Mark?

    /// The entry for `key`, unless it is absent or null (null means "use the default").
    subscript(key: String) -> ConfigEntry? {
        guard let entry = entries.first(where: { $0.key == key }), !ConfigReader.isNull(entry.value) else {
            return nil
        }
        return entry
    }
}

/// Walks a composed YAML tree into a `Configuration`, collecting every problem as a
/// diagnostic pinned at the offending key or value instead of stopping at the first.
/// Type-level helpers live here; the sections are in `ConfigReader+Sections.swift`.
final class ConfigReader {
    let file: String
    let environment: [String: String]
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func report(_ message: String, at mark: Mark?) {
        diagnostics.append(
            ConfigDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    // MARK: - Shapes

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How a node reads in "expected X, got Y".
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            let text = scalar.string.count > 40 ? scalar.string.prefix(37) + "..." : scalar.string
            return scalar.style == .plain || scalar.style == .any ? "'\(text)'" : "\"\(text)\""
        }
    }

    /// A mapping whose keys are all plain strings; with `allowedKeys`, other keys are
    /// reported (with a did-you-mean). Null reads as an empty mapping.
    func mapping(_ node: Node, path: String, allowedKeys: [String]?) -> ConfigMapping? {
        if Self.isNull(node) { return ConfigMapping(entries: [], mark: node.mark) }
        guard case .mapping(let mapping) = node else {
            report("\(path): expected a mapping, got \(Self.describe(node))", at: node.mark)
            return nil
        }
        var entries: [ConfigEntry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                report("\(path): keys must be strings, got \(Self.describe(keyNode))", at: keyNode.mark)
                continue
            }
            let key = keyScalar.string
            if let allowedKeys, !allowedKeys.contains(key) {
                let hint =
                    NameSuggestion.closest(to: key, in: allowedKeys).map { " (did you mean '\($0)'?)" }
                    ?? "; expected one of: \(allowedKeys.joined(separator: ", "))"
                report("unknown key '\(key)'\(hint)", at: keyNode.mark)
                continue
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            entries.append(ConfigEntry(key: key, keyMark: keyNode.mark, value: value, path: childPath))
        }
        return ConfigMapping(entries: entries, mark: mapping.mark)
    }

    /// The items of a list. Null reads as nil, so the caller applies its default.
    func sequence(_ entry: ConfigEntry) -> [ConfigEntry]? {
        guard case .sequence(let sequence) = entry.value else {
            report("\(entry.path): expected a list, got \(Self.describe(entry.value))", at: entry.value.mark)
            return nil
        }
        return sequence.enumerated().map { index, item in
            ConfigEntry(key: entry.key, keyMark: entry.keyMark, value: item, path: "\(entry.path)[\(index)]")
        }
    }

    // MARK: - Scalars

    /// A scalar's text with `${VAR}` expanded; nil (reported) for a mapping, a list or
    /// an unset variable. `substituted` tells whether the text came from the environment.
    func scalarText(_ entry: ConfigEntry, expected: String) -> (text: String, quoted: Bool, substituted: Bool)? {
        guard case .scalar(let scalar) = entry.value else {
            report("\(entry.path): expected \(expected), got \(Self.describe(entry.value))", at: entry.value.mark)
            return nil
        }
        let substitution = EnvironmentSubstitution(scalar.string, environment: environment)
        for name in substitution.unsetVariables {
            report("\(entry.path): environment variable '\(name)' is not set", at: scalar.mark)
        }
        if let problem = substitution.problem {
            report("\(entry.path): \(problem)", at: scalar.mark)
        }
        guard substitution.unsetVariables.isEmpty, substitution.problem == nil else { return nil }
        let quoted = !(scalar.style == .plain || scalar.style == .any)
        return (substitution.text, quoted, substitution.didSubstitute)
    }

    func string(_ entry: ConfigEntry, allowEmpty: Bool = false) -> String? {
        guard let (text, _, _) = scalarText(entry, expected: "a string") else { return nil }
        if !allowEmpty, text.isEmpty {
            report("\(entry.path): must not be empty", at: entry.value.mark)
            return nil
        }
        return text
    }

    /// Numbers and booleans must be plain YAML scalars (as JSON Schema sees them) unless
    /// they come from `${VAR}`, where everything is text.
    private func typedText(_ entry: ConfigEntry, expected: String) -> String? {
        guard let (text, quoted, substituted) = scalarText(entry, expected: expected) else { return nil }
        if quoted, !substituted {
            report(
                "\(entry.path): expected \(expected), got the string \"\(text)\" (remove the quotes)",
                at: entry.value.mark)
            return nil
        }
        return text
    }

    func integer(_ entry: ConfigEntry, minimum: Int) -> Int? {
        guard let text = typedText(entry, expected: "an integer") else { return nil }
        guard let value = Int(text) else {
            report("\(entry.path): expected an integer, got '\(text)'", at: entry.value.mark)
            return nil
        }
        guard value >= minimum else {
            report("\(entry.path): must be at least \(minimum), got \(value)", at: entry.value.mark)
            return nil
        }
        return value
    }

    func number(_ entry: ConfigEntry, minimum: Double, exclusive: Bool) -> Double? {
        guard let text = typedText(entry, expected: "a number") else { return nil }
        guard let value = Double(text), value.isFinite else {
            report("\(entry.path): expected a number, got '\(text)'", at: entry.value.mark)
            return nil
        }
        guard exclusive ? value > minimum : value >= minimum else {
            let bound = minimum == minimum.rounded() ? String(Int(minimum)) : String(minimum)
            report(
                "\(entry.path): must be \(exclusive ? "greater than" : "at least") \(bound), got \(text)",
                at: entry.value.mark)
            return nil
        }
        return value
    }

    func boolean(_ entry: ConfigEntry) -> Bool? {
        guard let text = typedText(entry, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            report("\(entry.path): expected true or false, got '\(text)'", at: entry.value.mark)
            return nil
        }
    }

    func duration(_ entry: ConfigEntry, allowZero: Bool) -> Duration? {
        guard let (text, _, _) = scalarText(entry, expected: "a duration") else { return nil }
        do {
            let duration = try DurationParser.parse(text)
            if duration == .zero, !allowZero {
                report("\(entry.path): must be longer than 0", at: entry.value.mark)
                return nil
            }
            return duration
        } catch {
            report("\(entry.path): \(error.message)", at: entry.value.mark)
            return nil
        }
    }

    func byteSize(_ entry: ConfigEntry) -> Int? {
        guard let (text, _, _) = scalarText(entry, expected: "a size") else { return nil }
        do {
            let bytes = try ByteSizeParser.parse(text)
            guard bytes > 0 else {
                report("\(entry.path): must be more than 0 bytes", at: entry.value.mark)
                return nil
            }
            return bytes
        } catch {
            report("\(entry.path): \(error.message)", at: entry.value.mark)
            return nil
        }
    }

    /// One of a fixed set of names, with a did-you-mean.
    func choice<Value: RawRepresentable & CaseIterable>(_ entry: ConfigEntry, of type: Value.Type, what: String)
        -> Value? where Value.RawValue == String
    {
        let names = Value.allCases.map(\.rawValue)
        guard let text = choiceText(entry, names: names, what: what) else { return nil }
        return Value(rawValue: text)
    }

    func choiceText(_ entry: ConfigEntry, names: [String], what: String) -> String? {
        guard let text = string(entry) else { return nil }
        guard names.contains(text) else {
            let hint =
                NameSuggestion.closest(to: text, in: names).map { " (did you mean '\($0)'?)" }
                ?? "; expected one of: \(names.joined(separator: ", "))"
            report("\(entry.path): unknown \(what) '\(text)'\(hint)", at: entry.value.mark)
            return nil
        }
        return text
    }
}
