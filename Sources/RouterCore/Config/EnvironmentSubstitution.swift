/// Expands `${VAR}` in config strings. `${VAR:-fallback}` uses `fallback` when VAR is
/// unset or empty; `$${` stands for a literal `${`; any other `$` is kept as is.
struct EnvironmentSubstitution {
    var text: String
    /// Names of variables that were referenced but unset (and had no fallback).
    var unsetVariables: [String] = []
    /// Set when the text had a malformed reference.
    var problem: String?
    /// Whether any reference was expanded.
    var didSubstitute = false

    init(_ source: String, environment: [String: String]) {
        // Fast path: most scalars hold no `$` at all.
        guard source.utf8.contains(UInt8(ascii: "$")) else {
            text = source
            return
        }
        var output = ""
        var rest = source[...]
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                output += "${"
                rest = afterDollar.dropFirst(2)
            } else if afterDollar.hasPrefix("{") {
                guard let close = afterDollar.firstIndex(of: "}") else {
                    problem = "unterminated '${' (write '$${' for a literal '${')"
                    output += rest[dollar...]
                    rest = rest[rest.endIndex...]
                    break
                }
                let reference = afterDollar[afterDollar.index(after: afterDollar.startIndex)..<close]
                let (name, fallback) = Self.split(reference)
                guard Self.isValidName(name) else {
                    problem = "invalid variable name '\(name)' in '${\(reference)}'"
                    rest = afterDollar[afterDollar.index(after: close)...]
                    continue
                }
                didSubstitute = true
                if let value = environment[String(name)], !(fallback != nil && value.isEmpty) {
                    output += value
                } else if let fallback {
                    output += fallback
                } else {
                    unsetVariables.append(String(name))
                }
                rest = afterDollar[afterDollar.index(after: close)...]
            } else {
                output += "$"
                rest = afterDollar
            }
        }
        output += rest
        text = output
    }

    private static func split(_ reference: Substring) -> (name: Substring, fallback: Substring?) {
        guard let range = reference.firstRange(of: ":-") else { return (reference, nil) }
        return (reference[..<range.lowerBound], reference[range.upperBound...])
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
