/// Parses config sizes: plain bytes (`1048576`) or a whole number with a binary unit
/// (`512KiB`, `16MiB`, `1GiB`).
package enum ByteSizeParser {
    private static let bytesPerUnit: [String: Int] = ["KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30]

    package static func parse(_ text: String) throws(ConfigValueProblem) -> Int {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, let amount = Int(digits) else {
            throw ConfigValueProblem("invalid size '\(text)' (expected bytes or e.g. 512KiB, 16MiB, 1GiB)")
        }
        if unit.isEmpty { return amount }
        guard let factor = bytesPerUnit[String(unit)] else {
            throw ConfigValueProblem("unknown size unit '\(unit)' in '\(text)' (use KiB, MiB or GiB)")
        }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw ConfigValueProblem("size '\(text)' is too large") }
        return bytes
    }
}
