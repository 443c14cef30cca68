import Foundation

/// Runs bcrypt verifications on dedicated threads, never on Swift's cooperative pool (two threads
/// on this machine, serving requests). At most `threadCount` run at once and at most
/// `queueCapacity` wait; `submit` refuses beyond that, so a flood of wrong keys burns bounded CPU.
final class BcryptWorker: Sendable {
    typealias Job = @Sendable () -> Void

    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [Job] = []  // guarded by condition
        var closed = false  // guarded by condition
        let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        func submit(_ job: @escaping Job) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            guard !closed, jobs.count < capacity else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }

        /// The next job; nil once closed and drained.
        func next() -> Job? {
            condition.lock()
            defer { condition.unlock() }
            while jobs.isEmpty && !closed { condition.wait() }
            return jobs.isEmpty ? nil : jobs.removeFirst()
        }

        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }
    }

    private let queue: Queue

    init(threadCount: Int = 1, queueCapacity: Int = 8) {
        queue = Queue(capacity: max(0, queueCapacity))
        for index in 0..<max(1, threadCount) {
            // The thread holds the queue, not the worker, so the worker's deinit can stop it.
            let thread = Thread { [queue] in
                while let job = queue.next() { job() }
            }
            thread.name = "localrouter-bcrypt-\(index)"
            thread.start()
        }
    }

    deinit {
        queue.close()
    }

    /// False when the queue is full: the caller should fail fast.
    func submit(_ job: @escaping Job) -> Bool {
        queue.submit(job)
    }
}
