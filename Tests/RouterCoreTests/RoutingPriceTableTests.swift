import Testing

@testable import RouterCore

@Suite struct RoutingPriceTableTests {
    @Test func builtInCoversTheWellKnownModels() {
        let table = PriceTable()
        let models = [
            "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini",
            "claude-opus-4-1", "claude-sonnet-4-5", "claude-sonnet-4", "claude-haiku-4-5", "claude-3-5-haiku",
            "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
        ]
        for model in models {
            let price = table.price(provider: "any", model: model)
            #expect(price != nil, "\(model)")
            #expect((price?.input ?? 0) > 0 && (price?.output ?? 0) >= (price?.input ?? 0), "\(model)")
        }
        #expect(table.price(provider: "openai", model: "gpt-4.1") == Price(input: 2, output: 8))
        #expect(table.price(provider: "openai", model: "no-such-model") == nil)
    }

    @Test func bareNameVariantsMatch() {
        let table = PriceTable()
        let sonnet = Price(input: 3, output: 15)
        #expect(table.price(provider: "anthropic", model: "claude-sonnet-4-5-20250929") == sonnet)
        #expect(table.price(provider: "openrouter", model: "anthropic/claude-sonnet-4.5") == sonnet)
        #expect(table.price(provider: "anthropic", model: "claude-3-5-haiku-latest") == Price(input: 0.8, output: 4))
        #expect(table.price(provider: "openai", model: "gpt-4o-2024-08-06") == Price(input: 2.5, output: 10))
        #expect(table.price(provider: "openai", model: "GPT-4.1-mini") == Price(input: 0.4, output: 1.6))
        // A different model is not mistaken for a known prefix.
        #expect(table.price(provider: "openai", model: "gpt-4o-audio-preview") == nil)
    }

    @Test func configOverridesWinAndFreeProvidersCostNothing() {
        var configuration = Configuration()
        configuration.providers = [
            ProviderSettings(name: "openai", type: .openai, baseURL: "https://api.openai.com/v1"),
            ProviderSettings(name: "demo", type: .mock, baseURL: "mock://"),
            ProviderSettings(name: "local", type: .ollama, baseURL: "http://127.0.0.1:11434"),
        ]
        configuration.pricing = ["openai/gpt-4.1": Price(input: 1, output: 2)]
        let table = PriceTable(configuration: configuration)
        #expect(table.price(provider: "openai", model: "gpt-4.1") == Price(input: 1, output: 2))
        #expect(table.price(provider: "openai", model: "gpt-4.1-mini") == Price(input: 0.4, output: 1.6))
        #expect(table.price(provider: "demo", model: "echo") == Price(input: 0, output: 0))
        #expect(table.price(provider: "local", model: "llama3.2") == Price(input: 0, output: 0))
    }

    @Test func costIsPerMillionTokens() {
        let table = PriceTable()
        let cost = table.cost(price: Price(input: 2, output: 8), inputTokens: 1_000, outputTokens: 500)
        #expect(abs(cost - 0.006) < 1e-12)
        #expect(table.cost(price: Price(input: 0, output: 0), inputTokens: 10_000, outputTokens: 10_000) == 0)
    }

    @Test func lookupsAreRememberedButBoundedAndStayCorrect() {
        let table = PriceTable()
        // More distinct names than the memo holds (requests can name any model).
        for index in 0..<3_000 {
            #expect(table.price(provider: "openrouter", model: "vendor/unknown-\(index)") == nil)
        }
        for _ in 0..<2 {
            #expect(table.price(provider: "openrouter", model: "openai/gpt-4.1") == Price(input: 2, output: 8))
            #expect(table.price(provider: "openai", model: "GPT-4o-2024-08-06") == Price(input: 2.5, output: 10))
            #expect(table.price(provider: "x", model: "unknown") == nil)
        }
    }

    @Test func aTableMatchesTheConfigurationItWasBuiltFrom() {
        var configuration = Configuration()
        configuration.providers = [ProviderSettings(name: "demo", type: .mock, baseURL: "mock://")]
        let table = PriceTable(configuration: configuration)
        #expect(table.matches(configuration))
        var repriced = configuration
        repriced.pricing = ["demo/echo": Price(input: 1, output: 1)]
        #expect(!table.matches(repriced))
        var retyped = configuration
        retyped.providers = [ProviderSettings(name: "demo", type: .openai, baseURL: "https://x")]
        #expect(!table.matches(retyped))
        var added = configuration
        added.providers.append(ProviderSettings(name: "local", type: .ollama, baseURL: "http://127.0.0.1:11434"))
        #expect(!table.matches(added))
    }
}
