import Testing
@testable import RouterServer

/// request_timeout bounds the whole request, body included: the deadline is an event-loop timer
/// (see `withUpstreamChunks`), so these pin that it still ends a body the upstream is slow to send.
@Suite struct RequestDeadlineTests {
    @Test func aStreamStillRunningAtRequestTimeoutEndsThereWithATimeoutEvent() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.server.requestTimeout = .milliseconds(450)
        }) { harness in
            // The upstream sends content events ~300 ms apart and would need ~900 ms in all.
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 200)
            let last = try #require(response.chunks.last)
            #expect(last.at >= .milliseconds(400))
            // Ended by the deadline, not by the upstream: a timeout event and no [DONE].
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(data.contains { $0.contains("upstream_timeout") })
            #expect(data.last != "[DONE]")
            #expect(await harness.log.all(atLeast: 1).last?.fields.errorClass == "stream_timeout")
        }
    }

    @Test func aStreamThatFinishesInTimeIsNotCutOff() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.server.requestTimeout = .seconds(5)
        }) { harness in
            let response = try await harness.stream(
                "/v1/chat/completions", json: #"{"model":"fake/slow-stream","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            let data = sseData(response.chunks.map(\.text).joined())
            #expect(data.last == "[DONE]")
            #expect(!data.contains { $0.contains("upstream_timeout") })
            #expect(await harness.log.all(atLeast: 1).last?.fields.errorClass == nil)
        }
    }

    @Test func keyWhitespaceIsTrimmedAsFoundationsWhitespacesSetWould() {
        #expect(AuthMiddleware.trimmingWhitespace("\u{3000} lr-a\u{00A0}\t") == "lr-a")
        #expect(AuthMiddleware.trimmingWhitespace("lr-\u{00A0}a") == "lr-\u{00A0}a")
        #expect(AuthMiddleware.trimmingWhitespace(" \t ") == "")
        #expect(AuthMiddleware.trimmingWhitespace("lr-b") == "lr-b")
        #expect(AuthMiddleware.presentedKey(in: [.authorization: "Bearer lr-a\u{00A0}"]) == "lr-a")
    }
}
