import Foundation
import Glibc

/// The accumulating half of `UsageReport.compute`: reads files in chunks and folds each line in.
struct UsageAggregator {
    private struct GroupKey: Hashable {
        var name: String?
        var day: Int
    }

    private struct Accumulator {
        var key: GroupKey
        var requests = 0
        var errors = 0
        var inputTokens = 0
        var outputTokens = 0
        var costUSD = 0.0
        var latencies: [Double] = []

        mutating func add(_ fields: UsageLineScanner.Fields) {
            requests += 1
            if fields.status! >= 400 || fields.hasError { errors += 1 }
            inputTokens += fields.inputTokens
            outputTokens += fields.outputTokens
            costUSD += fields.costUSD
            if let latency = fields.latencyMilliseconds { latencies.append(latency) }
        }
    }

    private static let chunkSize = 1 << 20

    let since: Double
    let groupBy: UsageGrouping?
    private var offsetCache: AccessLogUTCOffsetCache
    private var totals = Accumulator(key: GroupKey(name: nil, day: 0))
    private var groups: [Accumulator] = []
    private var groupIndex: [GroupKey: Int] = [:]
    private var requestsPerDay: [Int: Int] = [:]
    private var lastDay = Int.min
    private var lastDayCount = 0
    private(set) var skippedLines = 0

    init(since: Double, groupBy: UsageGrouping?, offsetCache: AccessLogUTCOffsetCache) {
        self.since = since
        self.groupBy = groupBy
        self.offsetCache = offsetCache
    }

    mutating func read(file path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            // Deleted by retention between listing and opening: nothing to count.
            if errno == ENOENT { return }
            throw AccessLogError.cannotReadDirectory(path: path, reason: String(cString: strerror(errno)))
        }
        defer { _ = close(descriptor) }
        var storage = [UInt8](repeating: 0, count: Self.chunkSize)
        var filled = 0
        while true {
            if filled == storage.count {
                // A line longer than the buffer: grow rather than split it.
                storage.append(contentsOf: repeatElement(0, count: storage.count))
            }
            let count = storage.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw AccessLogError.cannotReadDirectory(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 {
                if filled > 0 {
                    storage.withUnsafeBufferPointer { consume(line: UnsafeBufferPointer(rebasing: $0[0..<filled])) }
                }
                return
            }
            filled += count
            let consumed = storage.withUnsafeBufferPointer { buffer -> Int in
                var lineStart = 0
                let base = buffer.baseAddress!
                while lineStart < filled,
                    let newline = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), filled - lineStart)
                {
                    let lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                    consume(line: UnsafeBufferPointer(rebasing: buffer[lineStart..<lineEnd]))
                    lineStart = lineEnd + 1
                }
                return lineStart
            }
            if consumed > 0 {
                storage.withUnsafeMutableBytes { buffer in
                    _ = memmove(buffer.baseAddress!, buffer.baseAddress! + consumed, filled - consumed)
                }
                filled -= consumed
            }
        }
    }

    private mutating func consume(line: UnsafeBufferPointer<UInt8>) {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return
        }
        if let fields = UsageLineScanner.scan(line) {
            add(fields)
            return
        }
        skippedLines += 1
        // A line torn by a crash is followed by the next whole record on the same line: recover it.
        if let restart = Self.lastRecordStart(in: line), let fields = UsageLineScanner.scan(
            UnsafeBufferPointer(rebasing: line[restart...]))
        {
            add(fields)
        }
    }

    private static func lastRecordStart(in line: UnsafeBufferPointer<UInt8>) -> Int? {
        let marker = Array(#"{"ts":"#.utf8)
        guard line.count > marker.count else { return nil }
        var index = line.count - marker.count
        while index > 0 {
            if line[index] == marker[0] && line[index + 1] == marker[1] && line[index + 2] == marker[2]
                && line[index + 3] == marker[3] && line[index + 4] == marker[4] && line[index + 5] == marker[5]
            {
                return index
            }
            index -= 1
        }
        return nil
    }

    private mutating func add(_ fields: UsageLineScanner.Fields) {
        let timestamp = fields.timestamp!
        guard timestamp >= since else { return }
        let date = Date(timeIntervalSince1970: timestamp)
        let day = AccessLogTimestamp.localDayNumber(date, utcOffsetSeconds: offsetCache.offset(for: date))
        totals.add(fields)
        if day == lastDay {
            lastDayCount += 1
        } else {
            if lastDay != Int.min { requestsPerDay[lastDay, default: 0] += lastDayCount }
            lastDay = day
            lastDayCount = 1
        }
        guard let groupBy else { return }
        let key: GroupKey
        switch groupBy {
        case .key: key = GroupKey(name: fields.key?.string, day: 0)
        case .model: key = GroupKey(name: fields.model?.string, day: 0)
        case .provider: key = GroupKey(name: fields.provider?.string, day: 0)
        case .day: key = GroupKey(name: nil, day: day)
        }
        if let index = groupIndex[key] {
            groups[index].add(fields)
        } else {
            groupIndex[key] = groups.count
            var accumulator = Accumulator(key: key)
            accumulator.add(fields)
            groups.append(accumulator)
        }
    }

    mutating func report(since: Date, groupBy: UsageGrouping?, timeZone: TimeZone, filesRead: Int) -> UsageReport {
        if lastDay != Int.min {
            requestsPerDay[lastDay, default: 0] += lastDayCount
            lastDay = Int.min
        }
        var rows = groups.map { accumulator -> UsageReport.Row in
            var row = Self.row(accumulator)
            if groupBy == .day { row.group = AccessLogTimestamp.dayString(dayNumber: accumulator.key.day) }
            return row
        }
        if groupBy == .day {
            rows.sort { ($0.group ?? "") < ($1.group ?? "") }
        } else {
            rows.sort {
                if $0.costUSD != $1.costUSD { return $0.costUSD > $1.costUSD }
                if $0.requests != $1.requests { return $0.requests > $1.requests }
                // Named groups before the unnamed one, then by name, so the order is stable.
                return ($0.group ?? "\u{10FFFF}") < ($1.group ?? "\u{10FFFF}")
            }
        }
        var daily: [UsageReport.DayCount] = []
        if let first = requestsPerDay.keys.min(), let last = requestsPerDay.keys.max() {
            for day in first...last {
                daily.append(.init(day: AccessLogTimestamp.dayString(dayNumber: day), requests: requestsPerDay[day] ?? 0))
            }
        }
        return UsageReport(
            since: since, groupBy: groupBy, timeZone: timeZone, totals: Self.row(totals), rows: rows,
            dailyRequests: daily, filesRead: filesRead, skippedLines: skippedLines)
    }

    private static func row(_ accumulator: Accumulator) -> UsageReport.Row {
        var row = UsageReport.Row(group: accumulator.key.name)
        row.requests = accumulator.requests
        row.errors = accumulator.errors
        row.inputTokens = accumulator.inputTokens
        row.outputTokens = accumulator.outputTokens
        row.costUSD = accumulator.costUSD
        let sorted = accumulator.latencies.sorted()
        row.latencyP50Milliseconds = percentile(50, sorted)
        row.latencyP95Milliseconds = percentile(95, sorted)
        row.latencyP99Milliseconds = percentile(99, sorted)
        return row
    }

    /// Nearest rank: the value at rank ⌈p·n/100⌉ (1-based) of the sorted values.
    static func percentile(_ percent: Int, _ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = (percent * sorted.count + 99) / 100
        return sorted[max(rank, 1) - 1]
    }
}
