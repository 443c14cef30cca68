import Foundation
import Testing

@testable import RouterServer

@Suite struct AccessLogWriterTests {
    let plusOne = TimeZone(secondsFromGMT: 3600)!

    @Test func concurrentAppendsProduceExactlyThatManyCompleteLines() async throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 12, utcOffsetHours: 1))
        let writer = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: plusOne)
        let perTask = 2_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<perTask {
                        writer.append(accessLogSampleRecord(task * perTask + index, timestamp: clock.now))
                    }
                }
            }
        }
        writer.flush()
        #expect(directory.fileNames() == ["access-2026-11-23.jsonl"])
        let lines = directory.lines("access-2026-11-23.jsonl")
        #expect(lines.count == 8 * perTask)
        var identifiers = Set<String>()
        for line in lines {
            let record = try JSONDecoder().decode(AccessLogRecord.self, from: Data(line.utf8))
            identifiers.insert(record.requestID)
        }
        #expect(identifiers.count == 8 * perTask)
        #expect(writer.droppedLineCount == 0)
        writer.close()
    }

    @Test func twoWritersOnOneFileNeverInterleaveLines() async throws {
        // Two writers stand in for two daemon processes: each has its own descriptor opened O_APPEND.
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 12))
        let utc = TimeZone(secondsFromGMT: 0)!
        let first = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: utc)
        let second = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: utc)
        let longPath = "/v1/chat/completions?" + String(repeating: "x", count: 3000)
        await withTaskGroup(of: Void.self) { group in
            for (offset, writer) in [first, second].enumerated() {
                group.addTask {
                    for index in 0..<3_000 {
                        var record = accessLogSampleRecord(offset * 10_000 + index, timestamp: clock.now)
                        record.path = longPath
                        writer.append(record)
                    }
                }
            }
        }
        first.close()
        second.close()
        let lines = directory.lines("access-2026-11-23.jsonl")
        #expect(lines.count == 6_000)
        for line in lines {
            #expect((try? JSONDecoder().decode(AccessLogRecord.self, from: Data(line.utf8))) != nil)
        }
    }

    @Test func rotatesAtLocalMidnight() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        // 23:59:59.9 on 23 Nov in a +01:00 zone is 22:59:59.9 UTC: the UTC date does not change, the local one does.
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 23, 59, 59.9, utcOffsetHours: 1))
        let writer = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: plusOne)
        writer.append(accessLogSampleRecord(1, timestamp: clock.now))
        clock.now = accessLogDate(2026, 11, 24, 0, 0, 0.1, utcOffsetHours: 1)
        writer.append(accessLogSampleRecord(2, timestamp: clock.now))
        writer.close()
        #expect(directory.fileNames() == ["access-2026-11-23.jsonl", "access-2026-11-24.jsonl"])
        let before = directory.lines("access-2026-11-23.jsonl")
        let after = directory.lines("access-2026-11-24.jsonl")
        #expect(before.count == 1 && before[0].contains(#""ts":"2026-11-23T23:59:59.900+01:00""#))
        #expect(after.count == 1 && after[0].contains(#""ts":"2026-11-24T00:00:00.100+01:00""#))
    }

    @Test func retentionAtStartDeletesOnlyExpiredDayFiles() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        for name in ["access-2026-10-13.jsonl", "access-2026-10-23.jsonl", "access-2026-10-24.jsonl",
                     "access-2026-11-22.jsonl", "access-bad.jsonl", "notes.txt", "access-2026-10-01.jsonl.gz"] {
            try directory.write(name, "{}\n")
        }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 9, utcOffsetHours: 1))
        let writer = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: plusOne)
        defer { writer.close() }
        // 30 days before 23 Nov is 24 Oct: kept; 23 Oct and older go.
        #expect(directory.fileNames() == [
            "access-2026-10-01.jsonl.gz", "access-2026-10-24.jsonl", "access-2026-11-22.jsonl",
            "access-bad.jsonl", "notes.txt",
        ])
    }

    @Test func retentionRunsAgainAtRotation() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 23, 59, 59, utcOffsetHours: 1))
        let writer = try AccessLogWriter(directory: directory.url, retentionDays: 2, clock: clock.function, timeZone: plusOne)
        try directory.write("access-2026-11-21.jsonl", "{}\n")  // kept today, expired tomorrow
        try directory.write("access-2026-11-22.jsonl", "{}\n")
        writer.append(accessLogSampleRecord(1, timestamp: clock.now))
        writer.flush()
        #expect(directory.fileNames().contains("access-2026-11-21.jsonl"))
        clock.now = accessLogDate(2026, 11, 24, 0, 0, 1, utcOffsetHours: 1)
        writer.append(accessLogSampleRecord(2, timestamp: clock.now))
        writer.close()
        #expect(directory.fileNames() == ["access-2026-11-22.jsonl", "access-2026-11-23.jsonl", "access-2026-11-24.jsonl"])
    }

    @Test func closeWritesEveryLineAndIsIdempotent() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 12))
        let utc = TimeZone(secondsFromGMT: 0)!
        let writer = try AccessLogWriter(directory: directory.url, retentionDays: 30, clock: clock.function, timeZone: utc)
        for index in 0..<20_000 {
            writer.append(accessLogSampleRecord(index, timestamp: clock.now))
        }
        writer.close()
        #expect(directory.lines("access-2026-11-23.jsonl").count == 20_000)
        writer.close()
        writer.append(accessLogSampleRecord(99_999, timestamp: clock.now))
        writer.flush()
        #expect(directory.lines("access-2026-11-23.jsonl").count == 20_000)
        #expect(writer.droppedLineCount == 1)
        #expect(writer.failedLineCount == 0)
    }

    @Test func fullQueueDropsInsteadOfBlocking() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 12))
        let writer = try AccessLogWriter(
            directory: directory.url, retentionDays: 30, clock: clock.function,
            timeZone: TimeZone(secondsFromGMT: 0)!, capacity: 4)
        for index in 0..<5_000 {
            writer.append(accessLogSampleRecord(index, timestamp: clock.now))
        }
        writer.close()
        let written = directory.lines("access-2026-11-23.jsonl").count
        #expect(written + writer.droppedLineCount == 5_000)
        #expect(written >= 4)
    }

    @Test func createsPrivateDirectoryAndFiles() throws {
        let parent = AccessLogTemporaryDirectory()
        defer { parent.remove() }
        let logs = parent.url.appendingPathComponent("state/localrouter/logs")
        let clock = AccessLogTestClock(accessLogDate(2026, 11, 23, 12))
        let writer = try AccessLogWriter(
            directory: logs, retentionDays: 30, clock: clock.function, timeZone: TimeZone(secondsFromGMT: 0)!)
        writer.append(accessLogSampleRecord(1, timestamp: clock.now))
        writer.close()
        func mode(_ path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(parent.path + "/state") == 0o700)
        #expect(try mode(logs.path) == 0o700)
        #expect(try mode(logs.path + "/access-2026-11-23.jsonl") == 0o600)
    }

    @Test func refusesADirectoryPathThatIsAFile() throws {
        let directory = AccessLogTemporaryDirectory()
        defer { directory.remove() }
        try directory.write("occupied", "x")
        #expect(throws: AccessLogError.self) {
            _ = try AccessLogWriter(directory: directory.url.appendingPathComponent("occupied"), retentionDays: 1)
        }
    }
}
