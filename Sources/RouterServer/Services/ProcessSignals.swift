import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The signals the daemon handles itself, as an async sequence. Trapping starts in `init`, so
/// create it before the server listens: SIGHUP's default action would otherwise kill a daemon
/// reloaded during start-up. Unlike ServiceGroup's own signal handling, this keeps delivering
/// after the first SIGTERM, which is what lets a second one force the exit.
package final class ProcessSignals: AsyncSequence, Sendable {
    package typealias Element = Int32

    private let stream: AsyncStream<Int32>
    // Touched only in init and deinit.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

    package init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .unbounded)
        self.stream = stream
        let queue = DispatchQueue(label: "localrouter.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)  // Dispatch sees the signal; the default action must not run.
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    package func makeAsyncIterator() -> AsyncStream<Int32>.Iterator { stream.makeAsyncIterator() }

    package static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
