import ArgumentParser
import Foundation
import RouterCore
import RouterServer

/// `localrouter status`: asks the running daemon (at the config's `server.listen`) for its state.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask the running daemon for its address, uptime, requests served, and each provider's and target's health.")

    @OptionGroup var options: ConfigOption

    @Flag(name: .long, help: "Print the daemon's JSON report as it came.")
    var json = false

    func run() async throws {
        let (configuration, _) = try options.loadConfiguration()
        let answer: (status: Int, body: String)
        do {
            answer = try await DaemonClient.get("/status", listen: configuration.server.listen)
        } catch {
            throw CLIError(error.description)
        }
        guard answer.status == 200, let report = try? JSONValue.parse(Data(answer.body.utf8)) else {
            throw CLIError("the daemon at \(DaemonClient.baseURL(for: configuration.server.listen)) answered /status with HTTP \(answer.status)")
        }
        if json {
            print(answer.body)
        } else {
            print(StatusRendering.text(report, now: Date()), terminator: "")
        }
    }
}
