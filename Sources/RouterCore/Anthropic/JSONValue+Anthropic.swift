import Foundation

// Small helpers the Anthropic translators share; kept internal so JSONValue's public face stays as it is.
extension JSONValue {
    /// Compact JSON text with sorted keys and unescaped slashes, for `function.arguments` strings:
    /// stable output keeps fixtures and logs comparable.
    var sortedCompactJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses JSON text, or nil when it is not JSON.
    static func parseIfJSON(_ jsonText: String) -> JSONValue? {
        try? JSONValue.parse(Data(jsonText.utf8))
    }

    /// The string, or nil when missing or empty.
    var nonEmptyString: String? {
        guard let value = stringValue, !value.isEmpty else { return nil }
        return value
    }

    /// The value unless it is missing or `null`: OpenAI clients send explicit nulls for absent fields.
    var ifNotNull: JSONValue? {
        if case .null = self { return nil }
        return self
    }
}

extension Optional where Wrapped == JSONValue {
    var ifNotNull: JSONValue? { self?.ifNotNull }
}
