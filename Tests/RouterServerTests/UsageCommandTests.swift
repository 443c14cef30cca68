import Foundation
import Testing

@testable import RouterServer

/// `localrouter usage` as a user runs it: the built binary over access logs in a temporary
/// XDG state directory.
@Suite("localrouter usage (the built binary)")
struct UsageCommandTests {
    static let binary: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.appendingPathComponent(".build/debug/localrouter").path
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], home: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = [
            "HOME": home, "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config", "TZ": "UTC",
            "PATH": "/usr/bin:/bin",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// 600 requests, one every 10 minutes, ending now: a little over four days of daily files.
    static func writeLogs(home: String, now: Date) throws -> [AccessLogRecord] {
        let directory = home + "/state/localrouter/logs"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keys: [String?] = ["laptop", "ci", nil]
        let models = ["gpt-4o-mini", "claude-sonnet", "llama3"]
        let providers = ["openai", "anthropic", "ollama"]
        let utc = TimeZone(secondsFromGMT: 0)!
        var records: [AccessLogRecord] = []
        var files: [String: String] = [:]
        for index in 0..<600 {
            let timestamp = now.addingTimeInterval(-Double(599 - index) * 600)
            var record = accessLogSampleRecord(
                index, timestamp: timestamp, key: keys[index % 3], model: models[index % 3 == 0 ? 0 : index % 7 % 3],
                provider: providers[index % 3 == 0 ? 0 : index % 7 % 3], status: index % 11 == 0 ? 502 : 200,
                latency: Double(index % 97) + 0.5, cost: Double(index % 13) / 10_000)
            record.inputTokens = 100 + index % 50
            record.outputTokens = index % 10 == 0 ? nil : 7 * (index % 9)
            records.append(record)
            let day = AccessLogTimestamp.localDayNumber(timestamp, utcOffsetSeconds: 0)
            files["access-\(AccessLogTimestamp.dayString(dayNumber: day)).jsonl", default: ""] += record.jsonLine(timeZone: utc)
        }
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return records
    }

    static func totals(_ records: [AccessLogRecord]) -> (requests: Int, errors: Int, input: Int, output: Int, cost: Double) {
        (
            records.count, records.filter { $0.status >= 400 || $0.error != nil }.count,
            records.reduce(0) { $0 + ($1.inputTokens ?? 0) }, records.reduce(0) { $0 + ($1.outputTokens ?? 0) },
            records.reduce(0) { $0 + ($1.costUSD ?? 0) }
        )
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func totalsAndGroupsEqualTheLog() throws {
        let home = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let now = Date()
        let records = try Self.writeLogs(home: home, now: now)

        let all = try Self.run(["usage", "--since", "all", "--json"], home: home)
        #expect(all.status == 0, "\(all.stderr)")
        let report = try Self.object(all.stdout)
        let totals = try #require(report["totals"] as? [String: Any])
        let expected = Self.totals(records)
        #expect(totals["requests"] as? Int == expected.requests)
        #expect(totals["errors"] as? Int == expected.errors)
        #expect(totals["input_tokens"] as? Int == expected.input)
        #expect(totals["output_tokens"] as? Int == expected.output)
        #expect(abs((totals["cost_usd"] as? Double ?? -1) - expected.cost) < 1e-9)
        let days = Set(records.map { AccessLogTimestamp.localDayNumber($0.timestamp, utcOffsetSeconds: 0) })
        #expect(report["files_read"] as? Int == days.count)

        // The last 24 hours: only the lines since then.
        let day = try Self.object(try Self.run(["usage", "--since", "24h", "--json"], home: home).stdout)
        let recent = records.filter { $0.timestamp >= now.addingTimeInterval(-86_400) }
        let dayTotals = try #require(day["totals"] as? [String: Any])
        // The test's "now" is a moment before the command's, so at most the edge line differs.
        #expect(abs((dayTotals["requests"] as? Int ?? 0) - recent.count) <= 1)

        let byKey = try Self.object(try Self.run(["usage", "--since", "all", "--by", "key", "--json"], home: home).stdout)
        let groups = try #require(byKey["groups"] as? [[String: Any]])
        for key in ["laptop", "ci"] {
            let row = try #require(groups.first { $0["group"] as? String == key })
            let mine = Self.totals(records.filter { $0.keyName == key })
            #expect(row["requests"] as? Int == mine.requests)
            #expect(row["input_tokens"] as? Int == mine.input)
            #expect(abs((row["cost_usd"] as? Double ?? -1) - mine.cost) < 1e-9)
        }
        #expect(groups.contains { $0["group"] is NSNull })
        #expect(groups.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == records.count)

        let table = try Self.run(["usage", "--since", "all", "--by", "day"], home: home)
        #expect(table.status == 0)
        let totalLine = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("TOTAL") })
        #expect(totalLine.split(separator: " ")[1] == "\(records.count)")
        #expect(table.stdout.contains("requests per day"))
    }

    @Test func badArgumentsFailWithOneLine() throws {
        let home = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let since = try Self.run(["usage", "--since", "yesterday-ish"], home: home)
        #expect(since.status != 0)
        #expect(since.stderr.contains("--since 'yesterday-ish'"))
        let by = try Self.run(["usage", "--by", "colour"], home: home)
        #expect(by.status != 0)
        // No logs yet is an empty report, not an error.
        let empty = try Self.run(["usage", "--json"], home: home)
        #expect(empty.status == 0)
        #expect((try Self.object(empty.stdout)["totals"] as? [String: Any])?["requests"] as? Int == 0)
    }
}
