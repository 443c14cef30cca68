import Testing

@testable import RouterCore

@Suite struct ConfigValueParsingTests {
    @Test func durations() throws {
        #expect(try DurationParser.parse("0") == .zero)
        #expect(try DurationParser.parse("250ms") == .milliseconds(250))
        #expect(try DurationParser.parse("1.5s") == .milliseconds(1500))
        #expect(try DurationParser.parse("1m30s") == .seconds(90))
        #expect(try DurationParser.parse("2h") == .seconds(7200))
        #expect(try DurationParser.parse("7d") == .seconds(7 * 86_400))
        #expect(throws: ConfigValueProblem("duration '60' needs a unit (ms, s, m, h, d), e.g. '60s'")) {
            try DurationParser.parse("60")
        }
        #expect(throws: ConfigValueProblem.self) { try DurationParser.parse("") }
        #expect(throws: ConfigValueProblem.self) { try DurationParser.parse("1..5s") }
        #expect(throws: ConfigValueProblem.self) { try DurationParser.parse("99999999999d") }
    }

    @Test func sizes() throws {
        #expect(try ByteSizeParser.parse("100") == 100)
        #expect(try ByteSizeParser.parse("4KiB") == 4096)
        #expect(try ByteSizeParser.parse("16MiB") == 16 << 20)
        #expect(try ByteSizeParser.parse("2GiB") == 2 << 30)
        #expect(throws: ConfigValueProblem("unknown size unit 'kb' in '4kb' (use KiB, MiB or GiB)")) {
            try ByteSizeParser.parse("4kb")
        }
        #expect(throws: ConfigValueProblem.self) { try ByteSizeParser.parse("99999999999999GiB") }
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress.parse("127.0.0.1:3625") == ListenAddress(host: "127.0.0.1", port: 3625))
        #expect(try ListenAddress.parse("[::1]:3625") == ListenAddress(host: "::1", port: 3625))
        #expect(try ListenAddress.parse("localhost:0") == ListenAddress(host: "localhost", port: 0))
        #expect(try ListenAddress.parse("[::1]:3625").isLoopback)
        #expect(try !ListenAddress.parse("[::]:3625").isLoopback)
        #expect(try !ListenAddress.parse("192.168.1.2:80").isLoopback)
        #expect(throws: ConfigValueProblem("invalid listen address '::1:3625': put an IPv6 address in brackets, e.g. [::1]:3625")) {
            try ListenAddress.parse("::1:3625")
        }
        for bad in ["127.0.0.1", ":3625", "127.0.0.1:", "127.0.0.1:65536", "[::1]3625", "[::1:3625", "a b:1", "[]:1"] {
            #expect(throws: ConfigValueProblem.self, "\(bad)") { try ListenAddress.parse(bad) }
        }
    }

    @Test func suggestionsPreferTheClosestPlausibleName() {
        #expect(NameSuggestion.closest(to: "modles", in: ConfigKeys.provider) == "models")
        #expect(NameSuggestion.closest(to: "api-key", in: ConfigKeys.provider) == "api_key")
        #expect(NameSuggestion.closest(to: "Timeout", in: ConfigKeys.provider) == "timeout")
        #expect(NameSuggestion.closest(to: "banana", in: ConfigKeys.provider) == nil)
        #expect(NameSuggestion.closest(to: "x", in: ["y"]) == "y")
    }

    @Test func environmentSubstitution() {
        let environment = ["HOME": "/home/ada", "EMPTY": ""]
        #expect(EnvironmentSubstitution("${HOME}/x", environment: environment).text == "/home/ada/x")
        #expect(EnvironmentSubstitution("a$${HOME}b", environment: environment).text == "a${HOME}b")
        #expect(EnvironmentSubstitution("${EMPTY:-dflt}", environment: environment).text == "dflt")
        #expect(EnvironmentSubstitution("${EMPTY}", environment: environment).text == "")
        #expect(EnvironmentSubstitution("$HOME $", environment: environment).text == "$HOME $")
        #expect(EnvironmentSubstitution("${NOPE}${HOME}", environment: environment).unsetVariables == ["NOPE"])
        #expect(EnvironmentSubstitution("${1X}", environment: environment).problem == "invalid variable name '1X' in '${1X}'")
        #expect(EnvironmentSubstitution("plain", environment: environment).didSubstitute == false)
    }
}
