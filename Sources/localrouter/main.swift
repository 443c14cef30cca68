import ArgumentParser
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

// Run Swift Concurrency's global executor on NIO's event loops, so a request does not hop between
// the cooperative pool and the event-loop threads at every await (figures in docs/benchmarks.md).
// It must happen on the main thread before any task starts, hence main.swift rather than @main.
EventLoopGlobalExecutor.install()

// Two event-loop threads (one on a single-core machine) unless NIO_SINGLETON_GROUP_LOOP_COUNT says
// otherwise; NIO's default is one per core. Two, because on a 2-core VM shared with the clients and
// the upstream, one loop ran only ~80% of the time at saturation (preempted on its own core by the
// peers it had just woken, while the other core idled), and a second loop takes that up: +13%
// req/s at 16 connections, 0.44 -> 0.52 of nginx (docs/benchmarks.md, "Performance pass 7").
// Not one per core: a personal router shares the machine with the editor, the agents and often a
// local model, and each loop keeps its own keep-alive connections to every upstream (a request
// runs on its connection's loop, with no thread hop).
if getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil {
    NIOSingletons.groupLoopCountSuggestion = min(2, System.coreCount)
}

enum Entry {
    /// What `@main` on an AsyncParsableCommand does (an async function, so `run()` resolves to the async one).
    static func main() async {
        do {
            var command = try LocalRouterCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            LocalRouterCommand.exit(withError: error)
        }
    }
}

// Not a top-level `await`: that parks the main thread in dispatch_main(), which pthread_exit()s it,
// and unwinding the main thread reads about 1 MB of the binary's .eh_frame that then stays resident
// (idle RSS, docs/benchmarks.md). Detached: top-level code is on the main actor, whose queue nothing
// drains here. Nothing in the program runs on the main actor.
let finished = DispatchSemaphore(value: 0)
Task.detached {
    await Entry.main()
    finished.signal()
}
finished.wait()
