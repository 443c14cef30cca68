import CConcurrencyHook
import NIOCore
import NIOPosix

/// Makes NIO's event loops Swift Concurrency's global executor, so a request's async code runs on
/// the thread that does its I/O instead of hopping between the cooperative pool and the loops.
///
/// Like `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`,
/// with one difference that matters: NIO runs each job *isolated to the event loop's serial
/// executor*, so every call into a nonisolated async function (which wants the generic executor)
/// became an executor switch — a job enqueued and run on a later loop tick, ~90 of them per
/// proxied request (counted with `perf probe` on `swift_task_enqueueGlobal`; 2 per request now).
/// Here jobs run on the generic executor, as Swift's own pool runs them, so those calls are plain
/// calls and only real suspensions are enqueued.
enum EventLoopGlobalExecutor {
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Must run on the main thread before any task starts.
    static func install() {
        // Not dlsym (as NIO does): the static release binary exports no symbols, so the lookup
        // failed and the daemon silently ran on Swift's own pool.
        let hook = UnsafeMutableRawPointer(lr_swift_task_enqueueGlobal_hook_address())
        let enqueue: EnqueueGlobalHook = { job, _ in
            // `any()` is sticky: called on a loop of the group, it is that loop (no thread switch).
            MultiThreadedEventLoopGroup.singleton.any().execute { job.runSynchronously(on: genericExecutor) }
        }
        withUnsafeBytes(of: enqueue) { bytes in
            hook.copyMemory(from: bytes.baseAddress!, byteCount: MemoryLayout<EnqueueGlobalHook>.size)
        }
    }
}

extension EventLoopGlobalExecutor {
    /// Whether a new task runs on one of the event loops (the hook is in place).
    static func tasksRunOnEventLoops() async -> Bool {
        await Task.detached { MultiThreadedEventLoopGroup.currentEventLoop != nil }.value
    }
}

/// `SerialExecutorRef::generic()` in the runtime: no identity, no implementation bits. There is no
/// public spelling of it; `UnownedSerialExecutor` is that pair of words.
private let genericExecutor: UnownedSerialExecutor = {
    let words: (UnsafeRawPointer?, UInt) = (nil, 0)
    precondition(MemoryLayout<UnownedSerialExecutor>.size == MemoryLayout.size(ofValue: words))
    return unsafeBitCast(words, to: UnownedSerialExecutor.self)
}()
