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

// One event-loop thread unless NIO_SINGLETON_GROUP_LOOP_COUNT says otherwise. A personal router
// shares the machine with the editor, the agents and often a local model: on 2 cores one loop
// served more requests than two (12.5k against 11k req/s proxied at 16 connections) at 25% less
// CPU per request, since nothing crosses between loops and a busy loop handles several
// connections per wake-up (docs/benchmarks.md). Upstream latency, not the router, bounds it.
if getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil {
    NIOSingletons.groupLoopCountSuggestion = 1
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
