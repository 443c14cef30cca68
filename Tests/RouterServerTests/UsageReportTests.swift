import Foundation
import Testing

@testable import RouterServer

@Suite struct UsageReportTests {
    let utc = TimeZone(secondsFromGMT: 0)!

    /// Writes `records` into day files the way the writer does (by each record's local date).
    func writeLog(_ records: [AccessLogRecord], to directory: AccessLogTemporaryDirectory, timeZone: TimeZone) throws {
        var files: [String: String] = [:]
        for record in records {
            let day = AccessLogTimestamp.localDayNumber(
                record.timestamp, utcOffsetSeconds: timeZone.secondsFromGMT(for: record.timestamp))
            files["access-\(AccessLogTimestamp.dayString(dayNumber: day)).jsonl", default: ""]
                += record.jsonLine(timeZone: timeZone)
        }
        for (name, text) in files { try directory.write(name, text) }
    }

    func generatedRecords(count: Int, start: Date) -> [AccessLogRecord] {
        var generator = SystemRandomNumberGenerator()
        let keys: [String?] = ["laptop", "ci", nil]
        let models = ["gpt-4o-mini", "claude-sonnet", "llama3"]
        let providers = ["openai", "anthropic", "ollama"]
        return (0..<count).map { index in
            let modelIndex = Int.random(in: 0..<3, using: &generator)
            var record = accessLogSampleRecord(
                index, timestamp: start.addingTimeInterval(Double(index) * 60),
                key: keys[index % 3], model: models[modelIndex], provider: providers[modelIndex],
                status: [200, 200, 200, 429, 502, 200][Int.random(in: 0..<6, using: &generator)],
                latency: Double(Int.random(in: 1...5000, using: &generator)) / 10,
                cost: modelIndex == 2 ? 0 : Double(Int.random(in: 0...100_000, using: &generator)) / 1e7)
            record.inputTokens = Int.random(in: 0...4000, using: &generator)
            record.outputTokens = index % 10 == 0 ? nil : Int.random(in: 0...2000, using: &generator)
            return record
        }
    }

    @Test func totalsAndGroupsEqualTheSumsOverTheLog() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let records = generatedRecords(count: 5_000, start: accessLogDate(2026, 11, 20))
        try writeLog(records, to: directory, timeZone: utc)
        #expect(directory.fileNames().count == 4)

        let report = try UsageReport.compute(
            logDirectory: directory.url, since: .distantPast, groupBy: .model, timeZone: utc)
        #expect(report.filesRead == 4)
        #expect(report.skippedLines == 0)
        #expect(report.totals.requests == records.count)
        #expect(report.totals.errors == records.filter { $0.status >= 400 }.count)
        #expect(report.totals.inputTokens == records.reduce(0) { $0 + ($1.inputTokens ?? 0) })
        #expect(report.totals.outputTokens == records.reduce(0) { $0 + ($1.outputTokens ?? 0) })
        #expect(abs(report.totals.costUSD - records.reduce(0) { $0 + ($1.costUSD ?? 0) }) < 1e-9)
        #expect(report.rows.count == 3)
        for row in report.rows {
            let matching = records.filter { $0.model == row.group }
            #expect(row.requests == matching.count)
            #expect(row.inputTokens == matching.reduce(0) { $0 + ($1.inputTokens ?? 0) })
            #expect(abs(row.costUSD - matching.reduce(0) { $0 + ($1.costUSD ?? 0) }) < 1e-9)
            let latencies = matching.compactMap(\.latencyMilliseconds).sorted()
            #expect(row.latencyP95Milliseconds == latencies[(95 * latencies.count + 99) / 100 - 1])
        }
        #expect(report.rows.map(\.costUSD) == report.rows.map(\.costUSD).sorted(by: >))
        #expect(report.dailyRequests.map(\.requests).reduce(0, +) == records.count)
    }

    @Test func groupsByKeyProviderAndDay() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let records = generatedRecords(count: 3_000, start: accessLogDate(2026, 11, 20, 12))
        try writeLog(records, to: directory, timeZone: utc)

        let byKey = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: .key, timeZone: utc)
        #expect(Set(byKey.rows.map(\.group)) == ["laptop", "ci", nil])
        #expect(byKey.rows.first { $0.group == nil }?.requests == records.filter { $0.keyName == nil }.count)

        let byProvider = try UsageReport.compute(
            logDirectory: directory.url, since: .distantPast, groupBy: .provider, timeZone: utc)
        #expect(byProvider.rows.first { $0.group == "ollama" }?.requests == records.filter { $0.provider == "ollama" }.count)

        let byDay = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: .day, timeZone: utc)
        #expect(byDay.rows.map(\.group) == ["2026-11-20", "2026-11-21", "2026-11-22"])
        // 3,000 minutes from noon: 720 on the first day, 1,440 on the second, the rest on the third.
        #expect(byDay.rows.map(\.requests) == [720, 1_440, 840])
        #expect(byDay.rows.map(\.requests) == byDay.dailyRequests.map(\.requests))

        let totals = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: nil, timeZone: utc)
        #expect(totals.rows.isEmpty)
        #expect(totals.totals.requests == 3_000)
    }

    @Test func nearestRankPercentilesOnAKnownSet() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let start = accessLogDate(2026, 11, 23, 1)
        // 1…100 ms shuffled, plus one request without a latency (not counted in percentiles).
        var records = (1...100).shuffled().enumerated().map { offset, latency in
            accessLogSampleRecord(offset, timestamp: start.addingTimeInterval(Double(offset)), latency: Double(latency))
        }
        records.append(accessLogSampleRecord(100, timestamp: start.addingTimeInterval(200), latency: nil))
        try writeLog(records, to: directory, timeZone: utc)
        let report = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: nil, timeZone: utc)
        #expect(report.totals.requests == 101)
        #expect(report.totals.latencyP50Milliseconds == 50)
        #expect(report.totals.latencyP95Milliseconds == 95)
        #expect(report.totals.latencyP99Milliseconds == 99)

        #expect(UsageAggregator.percentile(50, [10, 20, 30, 40]) == 20)
        #expect(UsageAggregator.percentile(95, [10, 20, 30, 40]) == 40)
        #expect(UsageAggregator.percentile(99, [7]) == 7)
        #expect(UsageAggregator.percentile(50, []) == nil)
    }

    @Test func sinceFiltersLinesAndSkipsOlderFilesUnread() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let plusOne = TimeZone(secondsFromGMT: 3600)!
        // Junk in a file before `since`'s date would show up as skipped lines if the file were read.
        try directory.write("access-2026-11-20.jsonl", "junk\nmore junk\n")
        let records = [
            accessLogSampleRecord(1, timestamp: accessLogDate(2026, 11, 21, 23, 0, 0, utcOffsetHours: 1)),
            accessLogSampleRecord(2, timestamp: accessLogDate(2026, 11, 22, 9, 59, 59, utcOffsetHours: 1)),
            accessLogSampleRecord(3, timestamp: accessLogDate(2026, 11, 22, 10, 0, 0, utcOffsetHours: 1)),
            accessLogSampleRecord(4, timestamp: accessLogDate(2026, 11, 23, 8, 0, 0, utcOffsetHours: 1)),
        ]
        try writeLog(records, to: directory, timeZone: plusOne)
        let now = accessLogDate(2026, 11, 23, 10, 0, 0, utcOffsetHours: 1)
        let since = try UsageReport.parseSince("24h", now: now, timeZone: plusOne)
        let report = try UsageReport.compute(logDirectory: directory.url, since: since, groupBy: nil, timeZone: plusOne)
        #expect(report.totals.requests == 2)
        #expect(report.filesRead == 2)
        #expect(report.skippedLines == 0)

        let everything = try UsageReport.compute(
            logDirectory: directory.url, since: .distantPast, groupBy: nil, timeZone: plusOne)
        #expect(everything.totals.requests == 4)
        #expect(everything.skippedLines == 2)
    }

    @Test func tornAndInvalidLinesAreSkippedNotFatal() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let date = accessLogDate(2026, 11, 23, 12)
        let whole = accessLogSampleRecord(1, timestamp: date).jsonLine(timeZone: utc)
        let second = accessLogSampleRecord(2, timestamp: date).jsonLine(timeZone: utc)
        let torn = String(accessLogSampleRecord(3, timestamp: date).jsonLine(timeZone: utc).prefix(70))
        let text = whole
            + torn + second  // a crash tore a line; the next record follows on the same line
            + "\n"  // blank: ignored
            + "not json at all\n"
            + #"{"ts":"yesterday","status":200}"# + "\n"
            + String(whole.prefix(120))  // torn last line, no newline
        try directory.write("access-2026-11-23.jsonl", text)
        let report = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: nil, timeZone: utc)
        #expect(report.totals.requests == 2)
        #expect(report.skippedLines == 4)
    }

    @Test func missingDirectoryIsAnEmptyReport() throws {
        let directory = AccessLogTemporaryDirectory()
        let report = try UsageReport.compute(logDirectory: directory.path, since: .distantPast, groupBy: .model)
        #expect(report.totals.requests == 0)
        #expect(report.renderTable().contains("TOTAL"))
    }

    @Test func parsesSinceForms() throws {
        let plusOne = TimeZone(secondsFromGMT: 3600)!
        let now = accessLogDate(2026, 11, 23, 14, utcOffsetHours: 1)
        #expect(try UsageReport.parseSince("24h", now: now, timeZone: plusOne) == now.addingTimeInterval(-86_400))
        #expect(try UsageReport.parseSince("7d", now: now, timeZone: plusOne) == now.addingTimeInterval(-7 * 86_400))
        #expect(try UsageReport.parseSince("30m", now: now, timeZone: plusOne) == now.addingTimeInterval(-1800))
        #expect(try UsageReport.parseSince("2w", now: now, timeZone: plusOne) == now.addingTimeInterval(-14 * 86_400))
        #expect(try UsageReport.parseSince("2026-11-01", now: now, timeZone: plusOne)
            == accessLogDate(2026, 11, 1, utcOffsetHours: 1))
        #expect(try UsageReport.parseSince("2026-11-01T12:00:00Z", now: now, timeZone: plusOne)
            == accessLogDate(2026, 11, 1, 12))
        #expect(try UsageReport.parseSince("all", now: now, timeZone: plusOne) == Date(timeIntervalSince1970: 0))
        for bad in ["", "h", "24x", "-3d", "2026-11-41", "yesterday", "2026/11/01"] {
            #expect(throws: AccessLogError.invalidSince(bad)) {
                try UsageReport.parseSince(bad, now: now, timeZone: plusOne)
            }
        }
    }

    @Test func rendersAnAlignedTableJSONAndSparkline() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let start = accessLogDate(2026, 11, 20, 12)
        var records: [AccessLogRecord] = []
        for (day, count) in [4, 0, 8, 2].enumerated() {
            for index in 0..<count {
                records.append(accessLogSampleRecord(
                    records.count, timestamp: start.addingTimeInterval(Double(day * 86_400 + index)),
                    model: index % 2 == 0 ? "gpt-4o-mini" : "a-much-longer-model-name", status: index == 0 ? 500 : 200,
                    latency: Double(100 + index), cost: 0.125))
            }
        }
        try writeLog(records, to: directory, timeZone: utc)

        let byModel = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: .model, timeZone: utc)
        let table = byModel.renderTable()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[1].hasPrefix("MODEL"))
        let totalLine = try #require(lines.first { $0.hasPrefix("TOTAL") })
        #expect(totalLine.contains("1.7500"))
        // Right-aligned numbers: each data row ends where the header ends.
        let tableRows = lines[1...4]
        #expect(Set(tableRows.map(\.count)).count == 1)
        #expect(lines.last == "requests per day 2026-11-20…2026-11-23  ▅▁█▃")

        let json = byModel.renderJSON()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["group_by"] as? String == "model")
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["requests"] as? Int == 14)
        #expect(totals["errors"] as? Int == 3)
        #expect(totals["cost_usd"] as? Double == 1.75)
        let groups = try #require(object["groups"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["a-much-longer-model-name", "gpt-4o-mini"])
        #expect(((object["days"] as? [[String: Any]])?.map { $0["requests"] as? Int }) == [4, 0, 8, 2])
        #expect(json.firstRange(of: "\"since\"")!.lowerBound < json.firstRange(of: "\"totals\"")!.lowerBound)

        let byDay = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: .day, timeZone: utc)
        let dayLines = byDay.renderTable().split(separator: "\n").map(String.init)
        #expect(dayLines[2].hasPrefix("2026-11-20") && dayLines[2].hasSuffix("██████████"))
        #expect(dayLines[3].hasPrefix("2026-11-22") && dayLines[3].hasSuffix(String(repeating: "█", count: 20)))
    }

    @Test func scannerReadsFieldsInAnyOrderAndUnescapes() throws {
        let line = #"{"status": 503, "extra": {"a": [1, "}"]}, "model": "m\"x\u00e9", "ts": "2026-11-23T12:00:00Z", "#
            + #""cost_usd": 1.5e-3, "error": "timeout", "latency_ms": 7}"#
        var bytes = Array(line.utf8)
        let fields = try #require(bytes.withUnsafeBufferPointer { UsageLineScanner.scan($0) })
        #expect(fields.status == 503)
        #expect(fields.hasError)
        #expect(fields.latencyMilliseconds == 7)
        #expect(fields.costUSD == 0.0015)
        #expect(bytes.withUnsafeBufferPointer { _ in fields.model?.string } == "m\"xé")
        bytes = Array(#"{"ts":"2026-11-23T12:00:00Z"}"#.utf8)
        #expect(bytes.withUnsafeBufferPointer { UsageLineScanner.scan($0) } == nil)
    }

    @Test func summarisesAMillionLinesQuickly() throws {
        // Opt-in (LOCALROUTER_BENCHMARK=1): it writes ~330 MB. Build with -c release for a real figure.
        guard ProcessInfo.processInfo.environment["LOCALROUTER_BENCHMARK"] == "1" else { return }
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let start = accessLogDate(2026, 11, 1)
        let models = ["gpt-4o-mini", "claude-sonnet-4", "llama3.1:8b", "openrouter/deepseek-chat"]
        var buffer: [UInt8] = []
        var currentDay = -1
        var handle: FileHandle?
        for index in 0..<1_000_000 {
            let record = accessLogSampleRecord(
                index, timestamp: start.addingTimeInterval(Double(index) * 2), model: models[index % 4],
                latency: Double(index % 9973) / 7)
            let day = AccessLogTimestamp.localDayNumber(record.timestamp, utcOffsetSeconds: 0)
            if day != currentDay {
                if let handle { try handle.write(contentsOf: buffer); try handle.close() }
                buffer.removeAll(keepingCapacity: true)
                currentDay = day
                let name = "access-\(AccessLogTimestamp.dayString(dayNumber: day)).jsonl"
                try directory.write(name, "")
                handle = try FileHandle(forWritingTo: directory.url.appendingPathComponent(name))
            }
            record.appendJSONLine(to: &buffer, utcOffsetSeconds: 0)
        }
        if let handle { try handle.write(contentsOf: buffer); try handle.close() }
        let began = Date()
        let report = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: .model, timeZone: utc)
        let elapsed = Date().timeIntervalSince(began)
        print("usage over 1,000,000 lines: \(String(format: "%.2f", elapsed)) s")
        print(report.renderTable())
        #expect(report.totals.requests == 1_000_000)
    }
}

extension UsageReportTests {
    @Test func showsATableForAPerson() throws {
        // Opt-in (LOCALROUTER_SHOW=1): prints the table and JSON for a look.
        guard ProcessInfo.processInfo.environment["LOCALROUTER_SHOW"] == "1" else { return }
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        try writeLog(generatedRecords(count: 8_000, start: accessLogDate(2026, 11, 17, 9)), to: directory, timeZone: utc)
        for grouping in [UsageGrouping.day, .model, .key] {
            let report = try UsageReport.compute(logDirectory: directory.url, since: .distantPast, groupBy: grouping, timeZone: utc)
            print(report.renderTable())
        }
        let report = try UsageReport.compute(logDirectory: directory.url, since: accessLogDate(2026, 11, 20), groupBy: .provider, timeZone: utc)
        print(report.renderTable())
        print(report.renderJSON())
    }
}
