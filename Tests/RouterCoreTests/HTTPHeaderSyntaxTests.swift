import RouterCore
import Testing

@Suite("HTTP header syntax shared by the config reader and the upstream client")
struct HTTPHeaderSyntaxTests {
    @Test func namesAreTokens() {
        for good in ["x-api-key", "X-Title", "anthropic-version", "a!#$%&'*+-.^_`|~9"] { #expect(HTTPHeaderSyntax.isValidName(good), "\(good)") }
        for bad in ["", "bad name", "x:y", "ümlaut", "x\r\ny", "(comment)"] { #expect(!HTTPHeaderSyntax.isValidName(bad), "\(bad)") }
    }

    @Test func valuesHaveNoLineBreaksOrControls() {
        for good in ["", "Bearer sk-1", "Local\tRouter ✓"] { #expect(HTTPHeaderSyntax.isValidValue(good), "\(good)") }
        for bad in ["a\r\nx-evil: 1", "a\nb", "nul\u{0}", "del\u{7F}"] { #expect(!HTTPHeaderSyntax.isValidValue(bad), "\(bad)") }
    }
}
