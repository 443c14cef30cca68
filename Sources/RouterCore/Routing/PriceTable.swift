// USD per million tokens for cost accounting and the `lowest-cost` strategy.

import Foundation
import Synchronization

/// Prices by model: the config's `pricing:` entries win over the built-in list.
package struct PriceTable: Sendable, Equatable {
    /// Public list prices (USD per million tokens, standard tier, no caching or batch discounts)
    /// as best known when this was written (late 2025). Prices change; users override them under
    /// `pricing:` in the config. Gemini 2.5 Pro is the ≤200k-token-prompt price.
    package static let builtIn: [String: Price] = [
        // OpenAI
        "gpt-4.1": Price(input: 2.00, output: 8.00),
        "gpt-4.1-mini": Price(input: 0.40, output: 1.60),
        "gpt-4.1-nano": Price(input: 0.10, output: 0.40),
        "gpt-4o": Price(input: 2.50, output: 10.00),
        "gpt-4o-mini": Price(input: 0.15, output: 0.60),
        "o3": Price(input: 2.00, output: 8.00),
        "o4-mini": Price(input: 1.10, output: 4.40),
        "gpt-5": Price(input: 1.25, output: 10.00),
        "gpt-5-mini": Price(input: 0.25, output: 2.00),
        "gpt-5-nano": Price(input: 0.05, output: 0.40),
        // Anthropic
        "claude-opus-4-1": Price(input: 15.00, output: 75.00),
        "claude-opus-4": Price(input: 15.00, output: 75.00),
        "claude-sonnet-4-5": Price(input: 3.00, output: 15.00),
        "claude-sonnet-4": Price(input: 3.00, output: 15.00),
        "claude-haiku-4-5": Price(input: 1.00, output: 5.00),
        "claude-3-7-sonnet": Price(input: 3.00, output: 15.00),
        "claude-3-5-haiku": Price(input: 0.80, output: 4.00),
        // Google Gemini
        "gemini-2.5-pro": Price(input: 1.25, output: 10.00),
        "gemini-2.5-flash": Price(input: 0.30, output: 2.50),
        "gemini-2.5-flash-lite": Price(input: 0.10, output: 0.40),
    ]

    /// Provider types whose models cost nothing: the offline mock, and ollama, which runs locally.
    /// A switch, not a `Set`: hashing a `String`-backed enum hashes its raw string (~400
    /// instructions a lookup, twice a request).
    package static func isFree(_ type: ProviderType) -> Bool {
        switch type {
        case .mock, .ollama: true
        case .openai, .anthropic, .gemini, .openrouter, .openaiCompatible: false
        }
    }

    /// `provider/model` (exactly as in the config) -> price.
    private let overrides: [String: Price]
    /// Provider name -> type, to recognise free providers.
    private let providerTypes: [String: ProviderType]
    /// The same in the config's order: `matches` compares it with a config element by element
    /// (a dictionary lookup per provider, per request, before).
    private let providerOrder: [(name: String, type: ProviderType)]
    /// Built-in prices keyed by normalised model name.
    private let normalisedBuiltIn: [String: Price]
    /// Bare model name -> built-in price (or none): normalising runs once per name, not per request.
    private let builtInLookups = BuiltInLookups()

    package init(overrides: [String: Price] = [:], providerTypes: [String: ProviderType] = [:]) {
        self.init(overrides: overrides, providerOrder: providerTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private init(overrides: [String: Price], providerOrder: [(name: String, type: ProviderType)]) {
        self.overrides = overrides
        self.providerOrder = providerOrder
        self.providerTypes = Dictionary(providerOrder.map { ($0.name, $0.type) }, uniquingKeysWith: { _, last in last })
        var normalised: [String: Price] = [:]
        for (model, price) in Self.builtIn { normalised[Self.normalise(model)] = price }
        self.normalisedBuiltIn = normalised
    }

    package init(configuration: Configuration) {
        self.init(overrides: configuration.pricing, providerOrder: configuration.providers.map { ($0.name, $0.type) })
    }

    /// The price of `model` at the provider named `provider`, or nil when unknown.
    ///
    /// Order: a `provider/model` override; zero for mock and ollama providers; the built-in price
    /// of the bare model. Bare names match after lower-casing, dropping a vendor prefix
    /// (`openai/gpt-4.1` at OpenRouter), treating `.` like `-` (`claude-sonnet-4.5`) and dropping
    /// a date or `-latest` suffix (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`).
    package func price(provider: String, model: String) -> Price? {
        if !overrides.isEmpty, let override = overrides["\(provider)/\(model)"] { return override }
        if let type = providerTypes[provider], Self.isFree(type) {
            return Price(input: 0, output: 0)
        }
        if let known = builtInLookups.cached(model) { return known.price }
        var name = Self.normalise(model)
        if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        var price = normalisedBuiltIn[name]
        if price == nil {
            let undated = Self.droppingVersionSuffix(name)
            if undated != name { price = normalisedBuiltIn[undated] }
        }
        builtInLookups.remember(model, price: price)
        return price
    }

    package static func == (lhs: PriceTable, rhs: PriceTable) -> Bool {
        lhs.overrides == rhs.overrides && lhs.providerTypes == rhs.providerTypes
    }

    /// Whether this table was built from these prices and providers (cheaper than building anew).
    package func matches(_ configuration: Configuration) -> Bool {
        guard providerOrder.count == configuration.providers.count, overrides == configuration.pricing else { return false }
        for index in providerOrder.indices
        where configuration.providers[index].name != providerOrder[index].name || configuration.providers[index].type != providerOrder[index].type {
            return false
        }
        return true
    }

    /// USD for one request.
    package func cost(price: Price, inputTokens: Int, outputTokens: Int) -> Double {
        (Double(inputTokens) * price.input + Double(outputTokens) * price.output) / 1_000_000
    }

    /// A bounded memo: model names come from requests (e.g. any OpenRouter model), so it is
    /// emptied when it reaches 1,024 names.
    private final class BuiltInLookups: Sendable {
        struct Entry { var price: Price? }
        private let entries = Mutex<[String: Entry]>([:])

        func cached(_ model: String) -> Entry? { entries.withLock { $0[model] } }

        func remember(_ model: String, price: Price?) {
            entries.withLock { entries in
                if entries.count >= 1024 { entries.removeAll(keepingCapacity: true) }
                entries[model] = Entry(price: price)
            }
        }
    }

    private static func normalise(_ model: String) -> String {
        // Scalar by scalar rather than Foundation's replacingOccurrences: this runs per request.
        var scalars = String.UnicodeScalarView()
        for scalar in model.lowercased().unicodeScalars { scalars.append(scalar == "." ? "-" : scalar) }
        return String(scalars)
    }

    /// Drops `-latest`, `@…` (Vertex), `-YYYYMMDD` and `-YYYY-MM-DD`.
    private static func droppingVersionSuffix(_ name: String) -> String {
        if let at = name.firstIndex(of: "@") { return String(name[..<at]) }
        if name.hasSuffix("-latest") { return String(name.dropLast("-latest".count)) }
        var parts = name.split(separator: "-", omittingEmptySubsequences: false)
        func isDigits(_ part: Substring, count: Int) -> Bool {
            part.count == count && part.allSatisfy { $0.isASCII && $0.isNumber }
        }
        if let last = parts.last, isDigits(last, count: 8) {
            parts.removeLast()
        } else if parts.count > 3,
            isDigits(parts[parts.count - 3], count: 4),
            isDigits(parts[parts.count - 2], count: 2),
            isDigits(parts[parts.count - 1], count: 2)
        {
            parts.removeLast(3)
        }
        return parts.joined(separator: "-")
    }
}
