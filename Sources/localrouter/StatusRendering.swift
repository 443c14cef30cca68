import Foundation
import RouterCore

/// The human-readable form of a `/status` report: a header, a provider table, a target table.
enum StatusRendering {
    static func text(_ report: JSONValue, now: Date) -> String {
        var lines: [String] = []
        let version = report["version"]?.stringValue ?? "?"
        let listen = report["listen"]?.stringValue ?? "?"
        let uptime = report["uptime_seconds"]?.doubleValue.map(duration) ?? "?"
        let served = report["requests_served"]?.intValue ?? 0
        lines.append("localrouter \(version) listening on \(listen), up \(uptime), \(served) request\(served == 1 ? "" : "s") served")
        lines.append("config: \(report["config_file"]?.stringValue ?? "(none)")")

        let providers = report["providers"]?.arrayValue ?? []
        var providerRows = [["PROVIDER", "TYPE", "HEALTH", "CHECKED", "LATENCY", "CREDENTIAL", "LAST ERROR"]]
        var targetRows = [["TARGET", "CIRCUIT", "TTFB EWMA", "IN FLIGHT", "REQUESTS", "FAILURES", "LAST ERROR"]]
        for provider in providers {
            let checked = provider["last_check"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
                .map { duration(max(0, now.timeIntervalSince($0))) + " ago" } ?? "never"
            providerRows.append([
                provider["name"]?.stringValue ?? "?",
                provider["type"]?.stringValue ?? "?",
                provider["health"]?.stringValue ?? "?",
                checked,
                milliseconds(provider["last_check_latency_ms"]),
                provider["credential"]?.stringValue == "ok" ? "ok" : "problem",
                shortened(provider["last_error"]?.stringValue ?? provider["note"]?.stringValue),
            ])
            for target in provider["targets"]?.arrayValue ?? [] {
                var circuit = target["circuit"]?.stringValue ?? "?"
                if let reopens = target["reopens_in_ms"]?.doubleValue { circuit += " (probe in \(duration(reopens / 1000)))" }
                targetRows.append([
                    target["target"]?.stringValue ?? "?",
                    circuit,
                    milliseconds(target["latency_ewma_ms"]),
                    String(target["in_flight"]?.intValue ?? 0),
                    String(target["requests"]?.intValue ?? 0),
                    String(target["failures"]?.intValue ?? 0),
                    shortened(target["last_error"]?.stringValue),
                ])
            }
        }
        lines.append("")
        lines.append(contentsOf: table(providerRows))
        if targetRows.count > 1 {
            lines.append("")
            lines.append(contentsOf: table(targetRows))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Left-aligned columns two spaces apart; the last column is not padded.
    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == columns - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    static func milliseconds(_ value: JSONValue?) -> String {
        guard let value = value?.doubleValue else { return "-" }
        return value < 10 ? String(format: "%.1f ms", value) : String(format: "%.0f ms", value)
    }

    static func shortened(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "-" }
        return text.count > 70 ? String(text.prefix(69)) + "…" : text
    }

    /// 42s, 3m 05s, 2h 03m, 4d 02h.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        switch total {
        case ..<60: return seconds < 10 ? String(format: "%.1fs", seconds) : "\(total)s"
        case ..<3600: return String(format: "%dm %02ds", total / 60, total % 60)
        case ..<86400: return String(format: "%dh %02dm", total / 3600, (total % 3600) / 60)
        default: return String(format: "%dd %02dh", total / 86400, (total % 86400) / 3600)
        }
    }
}
