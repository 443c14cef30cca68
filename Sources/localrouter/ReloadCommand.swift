import ArgumentParser
import Foundation
import RouterCore
import RouterServer

#if canImport(Glibc)
import Glibc
#endif

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running daemon re-read its config, keys and secrets.",
        discussion: """
            Signals the daemon named by the pid file in the runtime directory (see `localrouter config path`) \
            and waits for its verdict. An invalid config is reported with every problem and the daemon keeps \
            serving the previous one.
            """)

    @Option(name: .long, help: "Seconds to wait for the daemon's verdict.")
    var timeout: Double = 10

    func run() async throws {
        let paths = CLIContext.paths(explicitConfig: nil)
        let pidFile = PidFile(runtimeDirectory: paths.runtimeDirectory)
        guard let processID = pidFile.read() else {
            throw CLIError("no running daemon found (no pid file at \(pidFile.path)); start it with `localrouter serve` or `systemctl --user start localrouter`")
        }
        guard Self.isDaemon(processID) else {
            throw CLIError("no running daemon found (pid \(processID) from \(pidFile.path) is not a running localrouter)")
        }
        let statusFile = ReloadStatusFile(runtimeDirectory: paths.runtimeDirectory)
        let before = statusFile.read()
        guard kill(processID, SIGHUP) == 0 else {
            throw CLIError("cannot signal the daemon (pid \(processID)): \(String(cString: strerror(errno)))")
        }

        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            if let status = statusFile.read(), status.processID == processID,
                before.map({ $0.processID != processID || status.generation > $0.generation }) ?? true
            {
                if status.succeeded {
                    print("reloaded (pid \(processID))")
                    for message in status.messages { print("note: \(message)") }
                    return
                }
                for message in status.messages { CLIContext.printError(message) }
                throw CLIError("reload failed: the daemon keeps serving its previous config")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLIError("sent SIGHUP to pid \(processID) but it did not report back within \(timeout) s")
    }

    /// Guards against a stale pid file naming a process that reused the pid.
    static func isDaemon(_ processID: Int32) -> Bool {
        guard processID > 0, kill(processID, 0) == 0 || errno == EPERM else { return false }
        guard let commandLine = FileManager.default.contents(atPath: "/proc/\(processID)/cmdline") else { return true }
        let program = commandLine.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (program as NSString).lastPathComponent.hasPrefix("localrouter")
    }
}
