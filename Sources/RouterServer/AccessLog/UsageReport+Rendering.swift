import Foundation

extension UsageReport {
    private static let sparkLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    private static let barEighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    private static let barWidth = 20
    private static let sparklineDays = 90

    /// An aligned table: one row per group, then the totals, then requests per day as a sparkline.
    package func renderTable() -> String {
        var header = ["REQUESTS", "ERRORS", "INPUT TOKENS", "OUTPUT TOKENS", "COST USD", "P50 MS", "P95 MS", "P99 MS"]
        if let groupBy { header.insert(groupBy.rawValue.uppercased(), at: 0) }
        var lines: [[String]] = [header]
        let maximumRequests = rows.map(\.requests).max() ?? 0
        for row in rows {
            var cells = Self.cells(row)
            cells.insert(row.group ?? "(none)", at: 0)
            lines.append(cells)
        }
        var totalCells = Self.cells(totals)
        if groupBy != nil { totalCells.insert("TOTAL", at: 0) }
        lines.append(totalCells)

        let columnCount = header.count
        var widths = [Int](repeating: 0, count: columnCount)
        for line in lines {
            for (column, cell) in line.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        let firstNumericColumn = groupBy == nil ? 0 : 1
        var output = since.timeIntervalSince1970 <= 0
            ? "all time" : "since \(AccessLogTimestamp.rfc3339(since, timeZone: timeZone))"
        output += " · \(filesRead) file\(filesRead == 1 ? "" : "s")"
        if skippedLines > 0 { output += " · \(skippedLines) unreadable line\(skippedLines == 1 ? "" : "s") skipped" }
        output += "\n"
        for (lineIndex, line) in lines.enumerated() {
            var text = ""
            for (column, cell) in line.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if column > 0 { text += "  " }
                text += column < firstNumericColumn ? cell + padding : padding + cell
            }
            // Grouped by day: a bar of each day's requests beside its row.
            if groupBy == .day, lineIndex > 0, lineIndex <= rows.count {
                text += "  " + Self.bar(rows[lineIndex - 1].requests, maximum: maximumRequests)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            output += text + "\n"
        }
        if !dailyRequests.isEmpty {
            let days = dailyRequests.suffix(Self.sparklineDays)
            output += "requests per day \(days.first!.day)…\(days.last!.day)  \(Self.sparkline(days.map(\.requests)))\n"
        }
        return output
    }

    /// Stable keys in a fixed order, for scripts; `group` is null for requests without that value.
    package func renderJSON() -> String {
        var output = "{\n"
        output += "  \"since\": \(AccessLogJSON.string(AccessLogTimestamp.rfc3339(since, timeZone: timeZone))),\n"
        output += "  \"group_by\": \(groupBy.map { AccessLogJSON.string($0.rawValue) } ?? "null"),\n"
        output += "  \"files_read\": \(filesRead),\n"
        output += "  \"skipped_lines\": \(skippedLines),\n"
        output += "  \"totals\": \(Self.jsonObject(totals, includeGroup: false)),\n"
        output += "  \"groups\": ["
        output += rows.map { "\n    " + Self.jsonObject($0, includeGroup: true) }.joined(separator: ",")
        output += rows.isEmpty ? "],\n" : "\n  ],\n"
        output += "  \"days\": ["
        output += dailyRequests.map { "\n    {\"day\": \"\($0.day)\", \"requests\": \($0.requests)}" }
            .joined(separator: ",")
        output += dailyRequests.isEmpty ? "]\n" : "\n  ]\n"
        output += "}\n"
        return output
    }

    /// `▁▂▃▄▅▆▇█`, scaled to the largest value; zero is `▁` and any non-zero value at least `▂`.
    static func sparkline(_ values: [Int]) -> String {
        let maximum = values.max() ?? 0
        return String(
            values.map { value -> Character in
                guard value > 0, maximum > 0 else { return sparkLevels[0] }
                let level = Int((Double(value) / Double(maximum) * 7).rounded())
                return sparkLevels[min(7, max(1, level))]
            })
    }

    private static func bar(_ value: Int, maximum: Int) -> String {
        guard maximum > 0, value > 0 else { return "" }
        let eighths = max(1, Int((Double(value) / Double(maximum) * Double(barWidth * 8)).rounded()))
        var text = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { text.append(barEighths[eighths % 8 - 1]) }
        return text
    }

    private static func cells(_ row: Row) -> [String] {
        [
            String(row.requests), String(row.errors), String(row.inputTokens), String(row.outputTokens),
            String(format: "%.4f", row.costUSD), milliseconds(row.latencyP50Milliseconds),
            milliseconds(row.latencyP95Milliseconds), milliseconds(row.latencyP99Milliseconds),
        ]
    }

    private static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    private static func jsonObject(_ row: Row, includeGroup: Bool) -> String {
        var fields: [String] = []
        if includeGroup { fields.append("\"group\": \(row.group.map(AccessLogJSON.string) ?? "null")") }
        fields.append("\"requests\": \(row.requests)")
        fields.append("\"errors\": \(row.errors)")
        fields.append("\"input_tokens\": \(row.inputTokens)")
        fields.append("\"output_tokens\": \(row.outputTokens)")
        fields.append("\"cost_usd\": \(jsonNumber((row.costUSD * 1e6).rounded() / 1e6))")
        fields.append(
            "\"latency_ms\": {\"p50\": \(jsonNumber(row.latencyP50Milliseconds)), "
                + "\"p95\": \(jsonNumber(row.latencyP95Milliseconds)), \"p99\": \(jsonNumber(row.latencyP99Milliseconds))}")
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private static func jsonNumber(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int(value)) }
        return value.description
    }
}
