import Foundation

/// `localrouter usage`: totals over the access logs since a time, optionally grouped (SPEC §2).
///
/// Errors are lines with `status >= 400` or a non-null `error` (a stream that failed after its
/// 200 header still failed). Latency percentiles are exact, by the nearest-rank method: the p-th
/// percentile of n sorted latencies is the value at rank ⌈p·n/100⌉. Lines without a latency count
/// everywhere except the percentiles.
package struct UsageReport: Sendable, Equatable {
    package struct Row: Sendable, Equatable {
        /// The key, model or provider name, or the local day `YYYY-MM-DD`; nil when the lines had
        /// no value (a request without a key) and for the totals.
        package var group: String?
        package var requests = 0
        package var errors = 0
        package var inputTokens = 0
        package var outputTokens = 0
        package var costUSD = 0.0
        package var latencyP50Milliseconds: Double?
        package var latencyP95Milliseconds: Double?
        package var latencyP99Milliseconds: Double?

        package init(group: String?) {
            self.group = group
        }
    }

    package struct DayCount: Sendable, Equatable {
        package var day: String
        package var requests: Int
    }

    package var since: Date
    package var groupBy: UsageGrouping?
    package var timeZone: TimeZone
    package var totals: Row
    /// Empty without grouping; days in order, otherwise by cost, then requests, descending.
    package var rows: [Row]
    /// Requests per local day from the first to the last day with any, gaps filled with 0.
    package var dailyRequests: [DayCount]
    package var filesRead: Int
    /// Lines that were not a complete record (torn by a crash, or foreign text).
    package var skippedLines: Int

    /// Reads the `access-*.jsonl` files in `logDirectory` whose date is not before `since`'s local date
    /// (older files are not opened) and summarises the lines at or after `since`.
    /// A missing directory is an empty report: no request has been logged yet.
    package static func compute(
        logDirectory: URL, since: Date, groupBy: UsageGrouping?, timeZone: TimeZone = .current
    ) throws -> UsageReport {
        let directory = logDirectory.path
        var offsetCache = AccessLogUTCOffsetCache(timeZone: timeZone)
        let sinceDay = AccessLogTimestamp.localDayNumber(since, utcOffsetSeconds: offsetCache.offset(for: since))
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                names = []
            } else {
                throw AccessLogError.cannotReadDirectory(path: directory, reason: "\(error.localizedDescription)")
            }
        }
        let files = names.compactMap { name -> String? in
            guard let day = AccessLogFileSink.dayNumber(fileName: name), day >= sinceDay else { return nil }
            return name
        }.sorted()

        var aggregator = UsageAggregator(
            since: since.timeIntervalSince1970, groupBy: groupBy, offsetCache: offsetCache)
        for name in files {
            try aggregator.read(file: directory + "/" + name)
        }
        return aggregator.report(since: since, groupBy: groupBy, timeZone: timeZone, filesRead: files.count)
    }

    package static func compute(
        logDirectory: String, since: Date, groupBy: UsageGrouping?, timeZone: TimeZone = .current
    ) throws -> UsageReport {
        try compute(logDirectory: URL(fileURLWithPath: logDirectory), since: since, groupBy: groupBy, timeZone: timeZone)
    }
}
