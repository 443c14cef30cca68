import Foundation

/// `reload.status` in the runtime directory: the outcome of the daemon's latest reload, so
/// `localrouter reload` can tell the user whether the config it signalled for was applied.
package struct ReloadStatusFile: Sendable {
    package static let fileName = "reload.status"

    package struct Status: Sendable, Equatable {
        package var processID: Int32
        /// Counts reloads since the daemon started.
        package var generation: Int
        package var succeeded: Bool
        /// What the user should read: problems found, or settings that need a restart.
        package var messages: [String]
    }

    package let path: String

    package init(runtimeDirectory: String) {
        path = runtimeDirectory + "/" + Self.fileName
    }

    package func write(_ status: Status) throws {
        let lines = ["pid \(status.processID)", "generation \(status.generation)", "result \(status.succeeded ? "ok" : "failed")"]
            + status.messages.map { $0.replacingOccurrences(of: "\n", with: " ") }
        try RuntimeFile.write(lines.joined(separator: "\n") + "\n", to: path)
    }

    package func read() -> Status? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3,
            let processID = Int32(lines[0].dropFirst("pid ".count)),
            let generation = Int(lines[1].dropFirst("generation ".count)),
            lines[2].hasPrefix("result ")
        else { return nil }
        return Status(
            processID: processID, generation: generation, succeeded: lines[2] == "result ok",
            messages: lines.dropFirst(3).filter { !$0.isEmpty })
    }
}
