import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// systemd starts services with a soft limit of 1,024 open files; the daemon raises it to the
/// hard limit so a thousand concurrent streams (two descriptors each) do not run out.
@Suite struct FileDescriptorLimitTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func serveRaisesTheSoftOpenFileLimitToTheHardOne() async throws {
        let home = try TemporaryHome()
        defer { home.cleanUp() }
        try home.write(config: mockConfig())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        // Soft 256, hard unchanged: the daemon starts as a service would, with a low soft limit.
        process.arguments = ["--nofile=256:", BuiltProducts.localrouter, "serve", "--listen", "127.0.0.1:0"]
        process.environment = home.environment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var limits: (soft: String, hard: String)?
        while ContinuousClock.now < deadline {
            // Until prlimit has exec'd the daemon, its own limits are the ones showing.
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe")
            limits = Self.openFileLimits(process.processIdentifier)
            if executable?.hasSuffix("/localrouter") == true, let limits, limits.soft != "256" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(limits != nil)
        #expect(limits?.soft == limits?.hard || limits?.soft == "1048576", "soft \(limits?.soft ?? "?"), hard \(limits?.hard ?? "?")")
    }

    static func openFileLimits(_ processID: Int32) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(processID)/limits", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
        else { return nil }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        guard fields.count >= 2 else { return nil }
        return (String(fields[0]), String(fields[1]))
    }
}
