import Foundation
import RouterCore
import RouterSecrets
import Synchronization
import Testing
@testable import RouterServer

/// The common proxied request is answered on its event loop (`EventLoopProxy`); these check that
/// the client, the upstream, the log and the breakers cannot tell it from the task's way, and that
/// what the loop cannot finish goes on in the task from where it stands.
@Suite("Requests answered on the event loop")
struct EventLoopProxyTests {
    /// One request as the client wrote it (closing the connection after, so the answer's bytes are
    /// all of what comes back).
    struct Probe: Sendable {
        var label: String
        var path: String
        var body: String
        var method = "POST"
    }

    static let probes: [Probe] = [
        Probe(label: "chat", path: "/v1/chat/completions", body: #"{"model":"fake/gpt-test","messages":[{"role":"user","content":"hi"}]}"#),
        Probe(label: "embeddings", path: "/v1/embeddings", body: #"{"model":"fake/gpt-test","input":"hi"}"#),
        // Handed over: an error status, answered as the task answers it.
        Probe(label: "upstream 400", path: "/v1/chat/completions", body: #"{"model":"fake/fail-400","messages":[]}"#),
        Probe(label: "upstream 500", path: "/v1/chat/completions", body: #"{"model":"fake/fail-500","messages":[]}"#),
        Probe(label: "no such upstream path", path: "/v1/completions", body: #"{"model":"fake/gpt-test","prompt":"hi"}"#),
        // Declined: the controller's own refusals.
        Probe(label: "unknown model", path: "/v1/chat/completions", body: #"{"model":"nope/x","messages":[]}"#),
        Probe(label: "invalid JSON", path: "/v1/chat/completions", body: #"{"model":"fake/gpt-test","#),
        Probe(label: "HEAD", path: "/v1/chat/completions", body: #"{"model":"fake/gpt-test","messages":[]}"#, method: "HEAD"),
    ]

    /// The answer's bytes without the two fields that differ on every request.
    static func comparable(_ response: String) -> String {
        response.components(separatedBy: "\r\n")
            .filter { !$0.lowercased().hasPrefix("x-request-id:") && !$0.lowercased().hasPrefix("date:") }
            .joined(separator: "\r\n")
    }

    struct Observed: Sendable {
        var answers: [String]
        var log: [RequestTrace.Fields]
        var answeredOnLoop: Int
        var upstreamRequests: Int
    }

    static func observe(answersOnEventLoop: Bool) async throws -> Observed {
        let observed = Mutex<Observed?>(nil)
        try await RouterHarness.run(answersOnEventLoop: answersOnEventLoop) { harness in
            var answers: [String] = []
            for probe in probes {
                let request =
                    "\(probe.method) \(probe.path) HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n"
                    + "content-length: \(probe.body.utf8.count)\r\n\r\n\(probe.body)"
                answers.append(
                    try await RawClient.run(port: harness.routerPort) { client in
                        _ = client.send(request)
                        return client.readUntilClosed()
                    })
            }
            let log = await harness.log.all(atLeast: probes.count).map(\.fields)
            observed.withLock {
                $0 = Observed(
                    answers: answers, log: log, answeredOnLoop: harness.answeredOnEventLoop.count, upstreamRequests: harness.upstream.requests.count)
            }
        }
        return try #require(observed.withLock { $0 })
    }

    @Test func answersAreTheTasksToTheByteAndSoAreTheLogLines() async throws {
        let onLoop = try await Self.observe(answersOnEventLoop: true)
        let inTask = try await Self.observe(answersOnEventLoop: false)
        #expect(onLoop.answeredOnLoop == 2, "chat and embeddings are answered on the loop")
        #expect(inTask.answeredOnLoop == 0)
        #expect(onLoop.upstreamRequests == inTask.upstreamRequests, "nothing is sent twice")
        for (index, probe) in Self.probes.enumerated() {
            let (loop, task) = (onLoop.answers[index], inTask.answers[index])
            #expect(loop.hasPrefix("HTTP/1.1 "), "\(probe.label): \(loop)")
            #expect(Self.comparable(loop) == Self.comparable(task), "\(probe.label)")
            #expect(loop.contains("x-request-id: req_"), "\(probe.label)")
        }
        #expect(onLoop.log.count == inTask.log.count)
        for (loop, task) in zip(onLoop.log, inTask.log) {
            #expect(loop.method == task.method && loop.path == task.path && loop.keyName == task.keyName)
            #expect(loop.model == task.model && loop.route == task.route && loop.provider == task.provider)
            #expect(loop.upstreamModel == task.upstreamModel && loop.status == task.status && loop.stream == task.stream)
            #expect(loop.inputTokens == task.inputTokens && loop.outputTokens == task.outputTokens && loop.costUSD == task.costUSD)
            #expect(loop.attempts == task.attempts && loop.errorClass == task.errorClass && (loop.ttfb == nil) == (task.ttfb == nil))
        }
    }

    /// A first target that fails is reported to its breaker once, and the request goes on to the
    /// next target in the task, without sending anything again.
    @Test func aFailedFirstAttemptGoesOnInTheTaskToTheNextTarget() async throws {
        try await RouterHarness.run(configure: { configuration, _ in
            configuration.routes = [
                RouteSettings(name: "fallback", targets: [RouteTarget(target: "fake/fail-500"), RouteTarget(target: "fake/gpt-test")])
            ]
        }) { harness in
            let response = try await harness.post("/v1/chat/completions", json: #"{"model":"fallback","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-localrouter-attempts") == "2")
            #expect(response.headers.first(name: "x-localrouter-model") == "gpt-test")
            #expect(harness.upstream.requestCount(model: "fail-500") == 1)
            #expect(harness.upstream.requestCount(model: "gpt-test") == 1)
            #expect(harness.answeredOnEventLoop.count == 0)
            let entry = try #require(await harness.log.all(atLeast: 1).first)
            #expect(entry.fields.attempts == 2 && entry.fields.status == 200 && entry.fields.provider == "fake")
            let reports = try #require(harness.runtime.routing.targetReports(configuration: harness.runtime.snapshot.configuration)["fake"])
            #expect(reports.first { $0.target == "fake/fail-500" }?.consecutiveFailures == 1)
            #expect(reports.first { $0.target == "fake/gpt-test" }?.consecutiveFailures == 0)

            // The next request skips nothing it should not: the loop answers the healthy target.
            let direct = try await harness.post("/v1/chat/completions", json: #"{"model":"fake/gpt-test","messages":[]}"#)
            #expect(direct.status == 200 && harness.answeredOnEventLoop.count == 1)
        }
    }

    /// A key is checked by `AuthMiddleware` (a bcrypt) until it has verified; from then on the loop
    /// knows it, and forgets it the moment it is revoked.
    @Test func aKeyIsKnownOnTheLoopOnlyOnceItHasVerifiedAndUntilItIsRevoked() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "editor").key
        let keyRing = try fixture.makeKeyRing()
        let chat = #"{"model":"fake/gpt-test","messages":[{"role":"user","content":"hi"}]}"#
        try await RouterHarness.run(keyRing: keyRing) { harness in
            let first = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(key), json: chat)
            #expect(first.status == 200 && harness.answeredOnEventLoop.count == 0, "a new key goes through auth")
            let second = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(key), json: chat)
            #expect(second.status == 200 && harness.answeredOnEventLoop.count == 1, "a verified key is known on the loop")
            let wrong = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(key + "x"), json: chat)
            #expect(wrong.status == 401)
            let none = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, json: chat)
            #expect(none.status == 401 && harness.answeredOnEventLoop.count == 1)

            try fixture.store.revoke(name: "editor")
            _ = try keyRing.reloadKeys()
            let revoked = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(key), json: chat)
            #expect(revoked.status == 401 && harness.answeredOnEventLoop.count == 1)
            let entries = await harness.log.all(atLeast: 5)
            #expect(entries.prefix(2).allSatisfy { $0.keyName == "editor" && $0.fields.status == 200 })
            #expect(entries.last?.fields.status == 401)
        }
    }
}
