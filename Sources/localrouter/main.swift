import ArgumentParser
import NIOCore
import NIOPosix

// Run Swift Concurrency's global executor on NIO's event loops, so a request does not hop between
// the cooperative pool and the event-loop threads at every await (figures in docs/benchmarks.md).
// It must happen on the main thread before any task starts, hence main.swift rather than @main.
_ = EventLoopGlobalExecutor.install()

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

await Entry.main()
