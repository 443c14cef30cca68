import Foundation
import Testing

@testable import RouterServer

@Suite struct AccessLogRecordTests {
    let plusOne = TimeZone(secondsFromGMT: 3600)!

    @Test func writesEveryFieldInOrderOnOneLine() throws {
        let record = AccessLogRecord(
            timestamp: accessLogDate(2026, 11, 23, 14, 2, 3.123, utcOffsetHours: 1), requestID: "req-1",
            keyName: "laptop", method: "POST", path: "/v1/chat/completions", model: "fast",
            route: "fast", provider: "openai", upstreamModel: "gpt-4o-mini", status: 200, stream: true,
            inputTokens: 12, outputTokens: 345, costUSD: 0.00042, latencyMilliseconds: 812.25,
            timeToFirstByteMilliseconds: 95, attempts: 2, error: nil)
        let line = record.jsonLine(timeZone: plusOne)
        #expect(
            line == #"{"ts":"2026-11-23T14:02:03.123+01:00","request_id":"req-1","key":"laptop","method":"POST","#
                + #""path":"/v1/chat/completions","model":"fast","route":"fast","provider":"openai","#
                + #""upstream_model":"gpt-4o-mini","status":200,"stream":true,"input_tokens":12,"#
                + #""output_tokens":345,"cost_usd":0.00042,"latency_ms":812.25,"ttfb_ms":95,"attempts":2,"#
                + #""error":null}"# + "\n")
        let decoded = try JSONDecoder().decode(AccessLogRecord.self, from: Data(line.utf8))
        #expect(decoded == record)
    }

    @Test func writesAbsentValuesAsNull() throws {
        let record = AccessLogRecord(
            timestamp: accessLogDate(2026, 1, 2, 3, 4, 5), requestID: "r", method: "GET", path: "/v1/models",
            status: 401, attempts: 0, error: "unauthorized")
        let line = record.jsonLine(timeZone: TimeZone(secondsFromGMT: 0)!)
        #expect(line.hasPrefix(#"{"ts":"2026-01-02T03:04:05.000Z","#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object.count == 18)
        for field in ["key", "model", "route", "provider", "upstream_model", "input_tokens", "output_tokens",
                      "cost_usd", "latency_ms", "ttfb_ms"] {
            #expect(object[field] is NSNull, "\(field) should be null")
        }
        #expect(object["error"] as? String == "unauthorized")
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(try JSONDecoder().decode(AccessLogRecord.self, from: Data(line.utf8)) == record)
    }

    @Test func escapesStringsSoTheLineStaysOneValidObject() throws {
        let nasty = "a\"b\\c\nd\re\tf\u{01}g\u{7F}h é 🚀 \u{2028}"
        let record = AccessLogRecord(
            timestamp: Date(timeIntervalSince1970: 0), requestID: nasty, method: "POST", path: "/x?\"q\"",
            model: nasty, status: 200)
        let line = record.jsonLine(timeZone: TimeZone(secondsFromGMT: 0)!)
        #expect(line.dropLast().contains("\n") == false)
        let decoded = try JSONDecoder().decode(AccessLogRecord.self, from: Data(line.utf8))
        #expect(decoded.requestID == nasty)
        #expect(decoded.model == nasty)
        #expect(decoded.path == "/x?\"q\"")
    }

    @Test func codableEncodingKeepsNulls() throws {
        let record = AccessLogRecord(timestamp: Date(), requestID: "r", method: "GET", path: "/", status: 200)
        let data = try JSONEncoder().encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.count == 18)
        #expect(object["key"] is NSNull)
        #expect(try JSONDecoder().decode(AccessLogRecord.self, from: data).requestID == "r")
    }

    @Test func timestampsKeepMillisecondsAndOffsets() throws {
        let date = accessLogDate(2026, 11, 23, 23, 59, 59.9)
        #expect(AccessLogTimestamp.rfc3339(date, timeZone: TimeZone(secondsFromGMT: 0)!) == "2026-11-23T23:59:59.900Z")
        #expect(AccessLogTimestamp.rfc3339(date, timeZone: plusOne) == "2026-11-24T00:59:59.900+01:00")
        let india = try #require(TimeZone(identifier: "Asia/Kolkata"))
        #expect(AccessLogTimestamp.rfc3339(date, timeZone: india) == "2026-11-24T05:29:59.900+05:30")
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(AccessLogTimestamp.rfc3339(date, timeZone: newYork) == "2026-11-23T18:59:59.900-05:00")
        // Summer time in New York is -04:00.
        #expect(AccessLogTimestamp.rfc3339(accessLogDate(2026, 7, 1, 12), timeZone: newYork).hasSuffix("08:00:00.000-04:00"))
        let parsed = try #require(AccessLogTimestamp.parseRFC3339("2026-11-24T05:29:59.900+05:30"))
        #expect(abs(parsed.timeIntervalSince(date)) < 0.0005)
        #expect(AccessLogTimestamp.parseRFC3339("2026-11-24T05:29:59") == nil)
        #expect(AccessLogTimestamp.parseRFC3339("2026-13-24T05:29:59Z") == nil)
        #expect(AccessLogTimestamp.rfc3339(Date(timeIntervalSince1970: -0.001), timeZone: TimeZone(secondsFromGMT: 0)!)
            == "1969-12-31T23:59:59.999Z")
    }

    @Test func civilDateArithmeticRoundTrips() {
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let civil = AccessLogTimestamp.civilDate(dayNumber: day)
            #expect(AccessLogTimestamp.dayNumber(year: civil.year, month: civil.month, day: civil.day) == day)
        }
        #expect(AccessLogTimestamp.dayString(dayNumber: 0) == "1970-01-01")
        #expect(AccessLogTimestamp.dayNumber(parsing: "2000-03-01") == 11_017)
    }
}

extension AccessLogRecordTests {
    @Test func encodesFasterThanJSONEncoder() throws {
        // Opt-in (LOCALROUTER_BENCHMARK=1): prints per-line cost of both encoders.
        guard ProcessInfo.processInfo.environment["LOCALROUTER_BENCHMARK"] == "1" else { return }
        let records = (0..<100_000).map { accessLogSampleRecord($0, timestamp: Date(timeIntervalSince1970: 1.8e9 + Double($0))) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var began = Date()
        for record in records {
            record.appendJSONLine(to: &buffer, utcOffsetSeconds: 3600)
            if buffer.count > 60_000 { buffer.removeAll(keepingCapacity: true) }
        }
        let handWritten = Date().timeIntervalSince(began) / Double(records.count)
        let encoder = JSONEncoder()
        began = Date()
        for record in records {
            _ = try encoder.encode(record)
        }
        let foundation = Date().timeIntervalSince(began) / Double(records.count)
        print(String(format: "encode one line: hand-written %.2f µs, JSONEncoder %.2f µs", handWritten * 1e6, foundation * 1e6))
        #expect(handWritten < foundation)
    }
}

@Suite struct AccessLogNumberTests {
    /// Durations are written to the microsecond without `Double.description`, exactly as it
    /// wrote the value rounded to three decimals.
    @Test func thousandthsAreWrittenAsTheRoundedNumberWas() {
        func viaDescription(_ value: Double) -> String {
            var bytes: [UInt8] = []
            AccessLogJSON.appendNumber((value * 1000).rounded() / 1000, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        func direct(_ value: Double?) -> String {
            var bytes: [UInt8] = []
            AccessLogJSON.appendThousandths(value, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        var values: [Double] = [0, -0.0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.5, 0.512, 1, 3.25, 12, 12.3456, 999.9996, 1234567.891, 5e11, 2e12, 1e16, -2.5]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 { values.append(Double.random(in: 0..<100_000, using: &generator)) }
        for _ in 0..<1000 { values.append(Double(Int.random(in: 0..<10_000_000, using: &generator)) / 1000) }
        for value in values { #expect(direct(value) == viaDescription(value), "\(value)") }
        #expect(direct(nil) == "null")
        #expect(direct(.infinity) == "null")
        #expect(direct(.nan) == "null")
    }
}

extension AccessLogNumberTests {
    @Test func stringsAreEscapedForAJSONLineDeleteIncluded() {
        var bytes: [UInt8] = []
        AccessLogJSON.appendString("a\"b\\c\nd\re\tf\u{01}g\u{7F}h é ✓", to: &bytes)
        AccessLogJSON.appendString(nil, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #""a\"b\\c\nd\re\tf\u0001g\u007fh é ✓"null"#)
    }
}
