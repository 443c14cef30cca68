import Foundation

/// Appends access-log lines (SPEC §7) to `access-YYYY-MM-DD.jsonl` in `directory`, off the request path.
///
/// `append` only puts the record on a bounded in-memory queue; a dedicated thread formats the lines and
/// writes them with `write(2)` to a file opened `O_APPEND`, whole lines per call, so lines are never
/// torn or interleaved even with two writer processes. If the queue is full (the disk has stalled
/// for a long time) the line is dropped and counted in `droppedLineCount` rather than blocking a request.
/// The day file is chosen by the local date of the injected clock at `append`; on a new day (and at start)
/// files older than `retentionDays` are deleted. Call `close()` on graceful shutdown: it returns once
/// every appended line is on disk.
package final class AccessLogWriter: Sendable {
    package static let defaultCapacity = 65_536

    package let directory: URL
    private let clock: @Sendable () -> Date
    private let queue: AccessLogQueue

    /// Creates the directory (mode 0700) if needed, deletes expired files, and starts the writer thread.
    /// `timeZone` nil: the system's local time from the C library (no ICU in the daemon).
    package init(
        directory: URL,
        retentionDays: Int,
        clock: @escaping @Sendable () -> Date = { Date() },
        timeZone: TimeZone? = nil,
        capacity: Int = AccessLogWriter.defaultCapacity
    ) throws {
        self.directory = directory
        self.clock = clock
        let queue = AccessLogQueue(capacity: capacity)
        self.queue = queue
        let sink = try AccessLogFileSink(directory: directory.path, retentionDays: retentionDays, timeZone: timeZone)
        sink.applyRetention(today: sink.localDayNumber(clock()))
        let thread = Thread {
            Self.run(sink: sink, queue: queue)
        }
        thread.name = "access-log-writer"
        thread.start()
    }

    package convenience init(
        directory: String,
        retentionDays: Int,
        clock: @escaping @Sendable () -> Date = { Date() },
        timeZone: TimeZone? = nil,
        capacity: Int = AccessLogWriter.defaultCapacity
    ) throws {
        try self.init(
            directory: URL(fileURLWithPath: directory), retentionDays: retentionDays, clock: clock,
            timeZone: timeZone, capacity: capacity)
    }

    deinit {
        // Let the thread drain and exit even if the owner forgot `close()`.
        queue.requestStop()
    }

    /// Never blocks on disk I/O: takes a lock for an array append only.
    package func append(_ record: consuming AccessLogRecord) {
        queue.enqueue(AccessLogQueue.PendingLine(record: record, appendedAt: clock()))
    }

    /// Returns once every line appended before the call is written and fsync'd. Blocks the caller:
    /// call it from a thread that may wait (shutdown, tests), not per request.
    package func flush() {
        queue.waitUntilSynced()
    }

    /// Flushes and stops the writer thread; later appends are dropped. Idempotent.
    package func close() {
        queue.requestStop()
        queue.waitUntilFinished()
    }

    /// Lines dropped because the queue was full or the writer was closed.
    package var droppedLineCount: Int { queue.statistics.dropped }
    /// Lines lost to I/O errors (cannot open or write the file).
    package var failedLineCount: Int { queue.statistics.failed }
    /// The latest I/O error, for `status` and the daemon's log.
    package var lastFailure: String? { queue.statistics.lastFailure }

    /// How long lines may wait in memory before they are written (a flush or close writes at once).
    static let batchInterval: TimeInterval = 0.05

    private static func run(sink: AccessLogFileSink, queue: AccessLogQueue) {
        while true {
            let work = queue.takeWork()
            let result = sink.write(work.lines, sync: work.syncRequested)
            if work.isLast {
                sink.closeFile()
            }
            queue.finishWork(work, failures: result.failures, failureDescription: result.description)
            if work.isLast {
                return
            }
            queue.gatherBatch(for: batchInterval)
        }
    }
}
