// A fake OpenAI-compatible upstream for scripts/bench and scripts/e2e:
//   lr-fake-upstream [PORT]   (default 0 = any free port)
// Prints `listening on PORT` on stdout once ready.
import FakeUpstream
import Foundation
import Hummingbird

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let upstream = FakeOpenAIUpstream(recordRequests: false)
let app = upstream.makeApplication(port: port) { port in
    FileHandle.standardOutput.write(Data("listening on \(port)\n".utf8))
}
try await app.runService()
