import Foundation

/// The hand-off between request handlers and the writer thread: a bounded list of pending
/// records plus the counters `flush()` and `close()` wait on. One `NSCondition` guards it all;
/// no I/O ever happens while it is held.
final class AccessLogQueue: @unchecked Sendable {
    struct PendingLine {
        let record: AccessLogRecord
        /// The clock's reading at `append`: it picks the day file, so rotation follows call order.
        let appendedAt: Date
    }

    struct Work {
        var lines: [PendingLine]
        var syncRequested: Bool
        var isLast: Bool
    }

    private let condition = NSCondition()
    private let capacity: Int
    private var pending: [PendingLine] = []
    private var acceptedCount = 0
    private var processedCount = 0
    private var syncedCount = 0
    private var flushRequested = false
    private var stopRequested = false
    private var finished = false
    private var droppedLines = 0
    private var failedLines = 0
    private var lastFailureDescription: String?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Never waits for the writer: when the queue is full (the disk stalls) the line is dropped and counted.
    func enqueue(_ line: consuming PendingLine) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopRequested, pending.count < capacity else {
            droppedLines += 1
            return
        }
        pending.append(line)
        acceptedCount += 1
        if pending.count == 1 {
            condition.broadcast()
        }
    }

    /// Writer thread: waits for lines, a flush or a stop, and takes everything pending.
    func takeWork() -> Work {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !flushRequested && !stopRequested {
            condition.wait()
        }
        var lines: [PendingLine] = []
        swap(&lines, &pending)
        let work = Work(lines: lines, syncRequested: flushRequested || stopRequested, isLast: stopRequested)
        flushRequested = false
        return work
    }

    /// Writer thread: lets lines gather for up to `interval`, so a busy daemon pays one wake-up and
    /// one write per batch rather than per request. Returns at once for a flush or a stop.
    func gatherBatch(for interval: TimeInterval) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: interval)
        while !flushRequested, !stopRequested, pending.count < 4096 {
            if !condition.wait(until: deadline) { return }
        }
    }

    /// Writer thread: reports a finished batch (written, and fsync'd if `synced`).
    func finishWork(_ work: Work, failures: Int, failureDescription: String?) {
        condition.lock()
        defer { condition.unlock() }
        processedCount += work.lines.count
        failedLines += failures
        if let failureDescription { lastFailureDescription = failureDescription }
        if work.syncRequested { syncedCount = processedCount }
        if work.isLast { finished = true }
        condition.broadcast()
    }

    /// Blocks until every line accepted before the call is written and fsync'd (or the writer stopped).
    func waitUntilSynced() {
        condition.lock()
        defer { condition.unlock() }
        let target = acceptedCount
        guard syncedCount < target, !finished else { return }
        flushRequested = true
        condition.broadcast()
        while syncedCount < target && !finished {
            condition.wait()
        }
    }

    func requestStop() {
        condition.lock()
        defer { condition.unlock() }
        if !stopRequested {
            stopRequested = true
            condition.broadcast()
        }
    }

    func waitUntilFinished() {
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            condition.wait()
        }
    }

    var statistics: (dropped: Int, failed: Int, lastFailure: String?) {
        condition.lock()
        defer { condition.unlock() }
        return (droppedLines, failedLines, lastFailureDescription)
    }
}
