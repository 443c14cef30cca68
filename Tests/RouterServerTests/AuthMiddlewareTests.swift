import Foundation
import RouterCore
import RouterSecrets
import Testing
@testable import RouterServer

@Suite("Auth: every /v1 route needs an lr- key")
struct AuthMiddlewareTests {
    static let anthropicMessage = #"{"model":"mock/echo","max_tokens":16,"messages":[{"role":"user","content":"ping"}]}"#

    private func expectOpenAI401(_ response: AuthResponse, presented: String?, _ comment: Comment) throws {
        #expect(response.status == 401, comment)
        let error = try parseJSON(response.body)["error"]
        #expect(error?["code"]?.stringValue == "invalid_api_key", comment)
        #expect(error?["type"]?.stringValue == "invalid_request_error", comment)
        #expect(error?["message"]?.stringValue?.isEmpty == false, comment)
        #expect(response.headers.first(name: "x-request-id") != nil, comment)
        if let presented { #expect(!response.body.contains(presented), comment) }
    }

    private func expectAnthropic401(_ response: AuthResponse, presented: String?, _ comment: Comment) throws {
        #expect(response.status == 401, comment)
        let body = try parseJSON(response.body)
        #expect(body["type"]?.stringValue == "error", comment)
        #expect(body["error"]?["type"]?.stringValue == "authentication_error", comment)
        if let presented { #expect(!response.body.contains(presented), comment) }
    }

    @Test func missingMalformedUnknownWrongRevokedDisabledAndExpiredKeysAreAll401() async throws {
        let fixture = try AuthKeyFixture()
        let good = try fixture.store.create(name: "good").key
        let revoked = try fixture.store.create(name: "gone").key
        try fixture.store.revoke(name: "gone")
        let disabled = try fixture.store.create(name: "paused").key
        try fixture.store.disable(name: "paused")
        let expiring = try fixture.store.create(name: "brief", expiresAt: fixture.clock.now.addingTimeInterval(60)).key
        // Same prefix as a real key, different secret: costs exactly one bcrypt, then is remembered.
        let wrongSecret = String(good.prefix(APIKey.prefix(of: good).count)) + String(APIKey.generate().dropFirst(APIKey.prefix(of: good).count))
        #expect(APIKey.isWellFormed(wrongSecret) && wrongSecret != good)
        let unknown = APIKey.generate()
        let keyRing = try fixture.makeKeyRing()
        fixture.clock.advance(by: 120)

        let presentedKeys: [(label: String, headers: [(String, String)], key: String?)] = [
            ("missing", [], nil),
            ("empty bearer", [("authorization", "Bearer ")], nil),
            ("not bearer", [("authorization", "Basic \(good)")], good),
            ("malformed", bearer("lr-not-a-key"), "lr-not-a-key"),
            ("openai-style", bearer("sk-proj-0123456789abcdef"), "sk-proj-0123456789abcdef"),
            ("unknown", bearer(unknown), unknown),
            ("wrong secret", bearer(wrongSecret), wrongSecret),
            ("wrong secret via x-api-key", [("x-api-key", wrongSecret)], wrongSecret),
            ("revoked", bearer(revoked), revoked),
            ("disabled", [("x-api-key", disabled)], disabled),
            ("expired", bearer(expiring), expiring),
        ]
        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            for (label, headers, presented) in presentedKeys {
                try expectOpenAI401(try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: headers, json: echoChat), presented: presented, "\(label): chat")
                try expectOpenAI401(try await authRequest(harness.base, "/v1/models", headers: headers), presented: presented, "\(label): models")
                try expectAnthropic401(
                    try await authRequest(harness.base, "/v1/messages", method: .POST, headers: headers, json: Self.anthropicMessage), presented: presented,
                    "\(label): messages")
            }
            // Nothing was proxied, every refusal was logged without a key name.
            let entries = harness.log.all
            #expect(entries.count == presentedKeys.count * 3)
            #expect(entries.allSatisfy { $0.fields.status == 401 && $0.fields.errorClass == "invalid_api_key" && $0.keyName == nil })
            #expect(keyRing.verifier.bcryptRuns == 1, "only the wrong secret with a known prefix costs a bcrypt, once")
            // The good key still works: nothing above disturbed it.
            #expect(try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(good), json: echoChat).status == 200)
        }
    }

    @Test func aGoodKeyIsAcceptedThroughEitherHeaderAndNamedInTheLog() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "editor").key
        let keyRing = try fixture.makeKeyRing()
        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            for headers in [bearer(key), [("authorization", "bearer  \(key) ")], [("x-api-key", key)]] {
                let response = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: headers, json: echoChat)
                #expect(response.status == 200, "\(headers.map(\.0))")
                #expect(harness.log.all.last?.keyName == "editor")
            }
            let messages = try await authRequest(harness.base, "/v1/messages", method: .POST, headers: [("x-api-key", key)], json: Self.anthropicMessage)
            #expect(messages.status == 200)
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(key)).status == 200)
            #expect(keyRing.verifier.bcryptRuns == 1, "one bcrypt per key per process")
        }
    }

    @Test func modelGlobsLimitWhatAKeyListsAndUses() async throws {
        let fixture = try AuthKeyFixture()
        let limited = try fixture.store.create(name: "mock-only", models: ["mock/*"]).key
        let full = try fixture.store.create(name: "everything").key
        try await RouterHarness.run(keyRing: try fixture.makeKeyRing()) { (harness) async throws in
            let limitedIDs = try parseJSON(try await authRequest(harness.base, "/v1/models", headers: bearer(limited)).body)["data"]?
                .arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            let fullIDs = try parseJSON(try await authRequest(harness.base, "/v1/models", headers: bearer(full)).body)["data"]?
                .arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(limitedIDs == ["mock/echo"])
            #expect(fullIDs.contains("fake/gpt-test") && fullIDs.contains("default") && fullIDs.contains("mock/echo"))

            #expect(try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(limited), json: echoChat).status == 200)
            for model in ["fake/gpt-test", "default"] {
                let response = try await authRequest(
                    harness.base, "/v1/chat/completions", method: .POST, headers: bearer(limited), json: #"{"model":"\#(model)","messages":[]}"#)
                #expect(response.status == 403, "\(model)")
                #expect(try parseJSON(response.body)["error"]?["code"]?.stringValue == "model_not_allowed")
                #expect(harness.log.all.last?.keyName == "mock-only")
            }
            let anthropic = try await authRequest(
                harness.base, "/v1/messages", method: .POST, headers: [("x-api-key", limited)],
                json: #"{"model":"fake/gpt-test","max_tokens":16,"messages":[{"role":"user","content":"ping"}]}"#)
            #expect(anthropic.status == 403)
            #expect(try parseJSON(anthropic.body)["error"]?["type"]?.stringValue == "permission_error")
            #expect(harness.upstream.requests.isEmpty, "nothing reached the upstream")
        }
    }

    @Test func healthNeedsNoKeyAndProviderHealthNoneFromLoopback() async throws {
        let fixture = try AuthKeyFixture()
        try await RouterHarness.run(keyRing: try fixture.makeKeyRing()) { (harness) async throws in
            #expect(try await authRequest(harness.base, "/health").status == 200)
            #expect(try await authRequest(harness.base, "/health/providers").status == 200)
            #expect(try await authRequest(harness.base, "/v1/models").status == 401)
        }
    }

    @Test func aFullBcryptQueueAnswers503NotAFalse401() async throws {
        let fixture = try AuthKeyFixture()
        let key = try fixture.store.create(name: "editor").key
        try await RouterHarness.run(keyRing: try fixture.makeKeyRing(bcryptQueueCapacity: 0)) { (harness) async throws in
            let response = try await authRequest(harness.base, "/v1/chat/completions", method: .POST, headers: bearer(key), json: echoChat)
            #expect(response.status == 503)
            #expect(response.headers.first(name: "retry-after") == "1")
            #expect(try parseJSON(response.body)["error"]?["code"]?.stringValue == "auth_overloaded")
            #expect(harness.log.all.last?.fields.errorClass == "auth_overloaded")
            let messages = try await authRequest(harness.base, "/v1/messages", method: .POST, headers: [("x-api-key", key)], json: Self.anthropicMessage)
            #expect(messages.status == 503)
            #expect(try parseJSON(messages.body)["error"]?["type"]?.stringValue == "overloaded_error")
        }
    }

    @Test func withoutAnyKeysTheDaemonServesAndRefusesUntilKeysAppear() async throws {
        // No master key and no keys.enc: the state right after install, before `init`.
        let fixture = try AuthKeyFixture(createMasterKey: false)
        let keyRing = try fixture.makeKeyRing()
        #expect(keyRing.usableKeyCount == 0)
        try await RouterHarness.run(keyRing: keyRing) { (harness) async throws in
            #expect(try await authRequest(harness.base, "/health").status == 200)
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(APIKey.generate())).status == 401)

            // `init` then `keys create` while it runs: the next reload finds the new master key.
            let masterKey = try MasterKey.create(at: fixture.masterKeyFile)
            let store = KeyStore(url: fixture.keysFile, masterKey: masterKey, bcryptCost: 4)
            let key = try store.create(name: "first").key
            #expect(try keyRing.reloadKeys() == 1)
            #expect(try await authRequest(harness.base, "/v1/models", headers: bearer(key)).status == 200)
        }
    }
}

@Suite struct BearerTokenParsingTests {
    @Test func theSchemeIsMatchedInAnyCaseAndTheTokenTrimmed() {
        let cases: [(String, String?)] = [
            ("Bearer lr-abc", "lr-abc"), ("  bEaReR   lr-abc \t", "lr-abc"), ("BEARER lr-ü", "lr-ü"),
            ("Bearer", nil), ("Bearer   ", nil), ("", nil), ("   ", nil), ("Bearerx lr-abc", nil), ("Basic lr-abc", nil),
            ("Bearér lr-abc", nil), ("Bearer\tlr-abc", nil), ("Bearer lr-a b", "lr-a b"),
        ]
        for (header, token) in cases { #expect(AuthMiddleware.bearerToken(header).map(String.init) == token, "\(header)") }
    }
}
