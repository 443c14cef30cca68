/// Parses config durations: a number and a unit (`ms`, `s`, `m`, `h`, `d`), optionally
/// several in a row (`1m30s`), with decimals allowed (`1.5s`). A bare `0` is zero; any
/// other number needs a unit, because `timeout: 60` is ambiguous.
package enum DurationParser {
    private static let nanosecondsPerUnit: [(unit: String, nanoseconds: Double)] = [
        // `ms` before `m`, so the longer unit wins.
        ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3_600e9), ("d", 86_400e9),
    ]
    /// About 290 years: what fits in `Int64` nanoseconds, with room to spare.
    private static let largestNanoseconds = 9e18

    package static func parse(_ text: String) throws(ConfigValueProblem) -> Duration {
        let scalars = Array(text.unicodeScalars)
        if text == "0" { return .zero }
        guard !scalars.isEmpty else { throw ConfigValueProblem("empty duration") }
        var index = 0
        var total = 0.0
        while index < scalars.count {
            let numberStart = index
            while index < scalars.count, scalars[index] == "." || ("0"..."9").contains(scalars[index]) {
                index += 1
            }
            let number = String(String.UnicodeScalarView(scalars[numberStart..<index]))
            guard !number.isEmpty, let amount = Double(number), !number.hasPrefix("."), !number.hasSuffix(".") else {
                throw invalid(text)
            }
            let unitStart = index
            while index < scalars.count, !(scalars[index] == "." || ("0"..."9").contains(scalars[index])) {
                index += 1
            }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            guard !unit.isEmpty else {
                throw ConfigValueProblem("duration '\(text)' needs a unit (ms, s, m, h, d), e.g. '\(text)s'")
            }
            guard let factor = nanosecondsPerUnit.first(where: { $0.unit == unit })?.nanoseconds else {
                throw ConfigValueProblem("unknown duration unit '\(unit)' in '\(text)' (use ms, s, m, h or d)")
            }
            total += amount * factor
        }
        guard total <= largestNanoseconds else { throw ConfigValueProblem("duration '\(text)' is too long") }
        return .nanoseconds(Int64(total.rounded()))
    }

    private static func invalid(_ text: String) -> ConfigValueProblem {
        ConfigValueProblem("invalid duration '\(text)' (expected e.g. 500ms, 30s, 5m, 1h, 7d)")
    }
}
