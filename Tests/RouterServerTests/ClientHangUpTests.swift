@testable import RouterServer
import RouterCore
import Synchronization
import Testing

@Suite("A client that hangs up cancels its upstream request")
struct ClientHangUpTests {
    @Test func aWaitingRequestIsCancelledUpstreamWhenItsClientHangsUp() async throws {
        // An upstream that never answers (a long generation) and notes when the router gives up on it.
        let closedAfter = Mutex<Duration?>(nil)
        let upstream = try FaultUpstream { _, connection in
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(8) {
                if connection.peerClosed {
                    closedAfter.withLock { $0 = ContinuousClock.now - start }
                    return
                }
                connection.pause(milliseconds: 10)
            }
        }
        defer { upstream.stop() }
        try await RouterHarness.run(configure: { configuration, _ in
            var slow = ProviderSettings(name: "slow", type: .openaiCompatible, baseURL: "http://127.0.0.1:\(upstream.port)/v1")
            slow.models = ["think"]
            slow.timeout = .seconds(30)
            configuration.providers.append(slow)
        }) { harness in
            for stream in [false, true] {
                closedAfter.withLock { $0 = nil }
                let body = #"{"model":"slow/think","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
                try await RawClient.run(port: harness.routerPort) { client in
                    client.send(
                        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
                    client.pause(milliseconds: 300)
                }  // The client hangs up here, the upstream still "generating".
                let deadline = ContinuousClock.now + .seconds(5)
                while closedAfter.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                let after = try #require(closedAfter.withLock { $0 }, "the upstream request outlived its client (stream: \(stream))")
                #expect(after < .seconds(3))
                let entry = try #require(await harness.log.all(atLeast: stream ? 2 : 1).last)
                #expect(entry.fields.errorClass == "client_disconnected")
                #expect(entry.fields.status == 499)
            }
            // The upstream was not at fault: its breaker still lets requests through.
            let report = try #require(harness.runtime.routing.targetReports(configuration: harness.runtime.snapshot.configuration)["slow"])
            #expect(report.allSatisfy { $0.consecutiveFailures == 0 })
        }
    }

    /// The router closing a slow client's input itself (to answer 408) is not a hang-up: the
    /// request that writes the answer is not cancelled. A real hang-up still cancels.
    @Test func theRoutersOwnCloseOfTheInputIsNotAHangUp() async throws {
        // Each in a task of its own: a cancelled task stays cancelled.
        let watch = ClientConnectionWatch()
        let cancelled = try await Task {
            try await watch.cancellingOnHangUp { () async throws -> Bool in
                watch.hungUp()
                return Task.isCancelled
            }
        }.value
        #expect(cancelled)
        let ours = ClientConnectionWatch()
        let cancelledByOurClose = try await Task {
            try await ours.cancellingOnHangUp { () async throws -> Bool in
                ours.serverClosesInput()
                ours.hungUp()
                return Task.isCancelled
            }
        }.value
        #expect(!cancelledByOurClose)
        #expect(!ours.hasHungUp)
    }
}
