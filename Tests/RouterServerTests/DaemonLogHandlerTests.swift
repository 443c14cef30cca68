import Logging
import RouterServer
import Testing

@Suite("The daemon's log lines")
struct DaemonLogHandlerTests {
    @Test func linesKeepStreamLogHandlersFormatWithMetadataSortedAndOverridden() throws {
        var handler = DaemonLogHandler(label: "localrouter", logLevel: .info)
        handler[metadataKey: "zeta"] = "1"
        handler[metadataKey: "hb.request.id"] = "abc"
        let event = LogEvent(
            level: .notice, message: "listening", metadata: ["zeta": "2", "alpha": "x"], source: "RouterServer",
            file: #fileID, function: #function, line: #line)
        let line = handler.render(event)
        let pattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} notice localrouter: alpha=x hb\.request\.id=abc zeta=2 \[RouterServer\] listening\n$/
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func aLineWithoutMetadataHasNoStraySpaces() {
        let handler = DaemonLogHandler(label: "localrouter", logLevel: .info)
        let line = handler.render(LogEvent(level: .info, message: "ready", metadata: nil, source: "m", file: "", function: "", line: 0))
        #expect(line.hasSuffix(" info localrouter: [m] ready\n"))
    }
}
