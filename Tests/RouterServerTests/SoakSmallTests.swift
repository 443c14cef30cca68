import FakeUpstream
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The soak's checks at test-suite size (scripts/soak runs them at 1,000 streams and 100,000
/// requests): concurrent streams and a burst of short requests through the real daemon with
/// zero errors, its descriptors back to the starting count, and memory not running away.
@Suite struct SoakSmallTests {
    @Test func concurrentStreamsAndShortRequestsLeaveNothingBehind() async throws {
        let upstream = FakeOpenAIUpstream(recordRequests: false)
        try await withServices([{ onListening in upstream.makeApplication(onListening: onListening) }]) { ports in
            let home = try TemporaryHome()
            defer { home.cleanUp() }
            try home.write(
                config: """
                    version: 1
                    server:
                      listen: 127.0.0.1:3625
                    providers:
                      fake:
                        type: openai-compatible
                        base_url: http://127.0.0.1:\(ports[0])/v1
                        models: [gpt-test, split-stream]
                    """)
            let daemon = try await DaemonProcess(home: home)
            let client = FaultClient(base: daemon.base)
            defer { client.shutdown() }
            #expect(try await client.send(model: "fake/gpt-test").status == 200)
            // The upstream pool's connections from the warm-up are not a leak: start from none.
            let baseline = try await FaultInjectionTests.waitForDescriptors(daemon.processID, atMost: 0, within: .zero)
            let rssBefore = try Self.residentKiB(daemon.processID)

            let failures = await withTaskGroup(of: String?.self) { group -> [String] in
                for index in 0..<100 {
                    group.addTask {
                        let model = index % 2 == 0 ? "fake/gpt-test" : "fake/split-stream"
                        do {
                            let answer = try await client.send(model: model, stream: true)
                            guard answer.status == 200, sseData(answer.body).last == "[DONE]" else { return "stream \(answer.status): \(answer.body.suffix(200))" }
                            return nil
                        } catch {
                            return "stream: \(error)"
                        }
                    }
                }
                for _ in 0..<16 {
                    group.addTask {
                        for _ in 0..<50 {
                            do {
                                let answer = try await client.send(model: "fake/gpt-test")
                                if answer.status != 200 || answer.wellFormedProblem(stream: false) != nil { return "short \(answer.status): \(answer.body)" }
                            } catch {
                                return "short: \(error)"
                            }
                        }
                        return nil
                    }
                }
                var failures: [String] = []
                for await failure in group { if let failure { failures.append(failure) } }
                return failures
            }
            #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
            client.shutdown()
            // Pooled upstream connections close after the pool's 4 s idle timeout.
            let settled = try await FaultInjectionTests.waitForDescriptors(daemon.processID, atMost: baseline, within: .seconds(8))
            #expect(settled <= baseline, "daemon descriptors: \(baseline) before, \(settled) after")
            let rssAfter = try Self.residentKiB(daemon.processID)
            // A debug build under test is noisy; this only catches memory that grows with the load.
            #expect(rssAfter < rssBefore + 32 * 1024, "RSS \(rssBefore) KiB before, \(rssAfter) KiB after")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
        }
    }

    static func residentKiB(_ processID: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(processID)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
