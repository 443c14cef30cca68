import ArgumentParser
import Foundation
import RouterServer

/// `localrouter usage`: totals from the access logs (SPEC §2).
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Requests, errors, tokens, cost and latency from the access logs.",
        discussion: "Reads the access-YYYY-MM-DD.jsonl files in the state directory's logs/ folder.")

    @Option(name: .long, help: "Start of the period: a duration back from now (24h, 7d, 2w), a local date (2026-11-01), an RFC 3339 time, or 'all'.")
    var since = "24h"

    @Option(name: .long, help: "Group by key, model, provider or day.")
    var by: UsageGrouping?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    @Option(name: .long, help: "Read the logs from this directory instead of the state directory's.")
    var logDirectory: String?

    func run() throws {
        let directory = logDirectory ?? CLIContext.paths(explicitConfig: nil).logDirectory
        let start: Date
        do {
            start = try UsageReport.parseSince(since, now: Date())
        } catch {
            throw CLIError("\(error)")
        }
        let report: UsageReport
        do {
            report = try UsageReport.compute(logDirectory: directory, since: start, groupBy: by)
        } catch {
            throw CLIError("\(error)")
        }
        print(json ? report.renderJSON() : report.renderTable(), terminator: json ? "\n" : "")
    }
}

extension UsageGrouping: ExpressibleByArgument {}
