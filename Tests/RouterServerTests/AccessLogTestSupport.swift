import Foundation

@testable import RouterServer

/// A clock the test moves by hand.
final class AccessLogTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ date: Date) {
        current = date
    }

    var now: Date {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    var function: @Sendable () -> Date {
        { [self] in now }
    }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct AccessLogTemporaryDirectory {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("accesslog-tests-\(UUID().uuidString)", isDirectory: true)
    }

    var path: String { url.path }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    func fileNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func lines(_ name: String) -> [String] {
        let text = (try? String(contentsOfFile: path + "/" + name, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func write(_ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }
}

/// A local time in a fixed-offset zone, for building clocks.
func accessLogDate(
    _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Double = 0,
    utcOffsetHours: Int = 0
) -> Date {
    let days = AccessLogTimestamp.dayNumber(year: year, month: month, day: day)
    let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 - utcOffsetHours * 3600) + second
    return Date(timeIntervalSince1970: seconds)
}

func accessLogSampleRecord(
    _ index: Int, timestamp: Date, key: String? = "laptop", model: String? = "gpt-4o-mini",
    provider: String? = "openai", status: Int = 200, latency: Double? = 12.5, cost: Double? = 0.0001
) -> AccessLogRecord {
    AccessLogRecord(
        timestamp: timestamp, requestID: "req-\(index)", keyName: key, method: "POST",
        path: "/v1/chat/completions", model: model, route: "fast", provider: provider,
        upstreamModel: model, status: status, stream: index % 2 == 0, inputTokens: 10 + index % 7,
        outputTokens: 20 + index % 5, costUSD: cost, latencyMilliseconds: latency,
        timeToFirstByteMilliseconds: latency.map { $0 / 2 }, attempts: 1, error: status >= 400 ? "upstream_error" : nil)
}
