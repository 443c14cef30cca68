import Foundation
import HTTPTypes
import Hummingbird
import RouterSecrets

/// Requires an `lr-` key (`Authorization: Bearer lr-…` or `x-api-key: lr-…`) where `AuthPolicy`
/// says so, and puts the key's identity on the context. Missing, malformed, unknown, revoked,
/// disabled and expired keys all get the same 401 (OpenAI's shape; Anthropic's on `/v1/messages`)
/// so a caller learns nothing about which keys exist. Never echoes the presented key.
///
/// Per request: a keyed hash and a dictionary lookup in `KeyVerifier` once a key has verified;
/// no bcrypt, file read or lock held across an await.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = RouterRequestContext
    let runtime: RouterRuntime

    package init(runtime: RouterRuntime) {
        self.runtime = runtime
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // No key ring: a test harness exercising the proxy alone. `serve` always has one. A request
        // the event loop began comes with its caller known (`EventLoopProxy`).
        guard let keyRing = runtime.keyRing, context.carried == nil else { return try await next(request, context) }
        let path = context.path(of: request)
        guard AuthPolicy.requiresKey(path: path, clientIsLoopback: AuthPolicy.isLoopback(context.remoteAddress)) else {
            return try await next(request, context)
        }
        guard let presented = Self.presentedKey(in: request.headers) else {
            return refuse(Self.missingKey, path: path, context: context, errorClass: "invalid_api_key")
        }
        switch await keyRing.verifier.verify(presented) {
        case .valid(let record):
            var context = context
            context.identity = ClientIdentity(record: record)
            context.trace.update { $0.keyName = record.name }
            keyRing.noteUsed(record.name)
            return try await next(request, context)
        case .invalid(.overloaded):
            return refuse(Self.overloaded, path: path, context: context, errorClass: "auth_overloaded")
        case .invalid:
            return refuse(Self.invalidKey, path: path, context: context, errorClass: "invalid_api_key")
        }
    }

    /// `trimmingCharacters(in: .whitespaces)` (Zs and tab) without Foundation's bridging, which
    /// showed up in the per-request profile. ASCII spaces and tabs are cut as bytes; only a value
    /// that then starts or ends outside ASCII is walked scalar by scalar.
    static func trimmingWhitespace(_ text: Substring) -> Substring {
        let bytes = text.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { bytes.formIndex(after: &start) }
        while start < end {
            let before = bytes.index(before: end)
            guard bytes[before] == 0x20 || bytes[before] == 0x09 else { break }
            end = before
        }
        guard start < end else { return "" }
        if bytes[start] < 0x80, bytes[bytes.index(before: end)] < 0x80 { return text[start..<end] }

        func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        let scalars = text[start..<end].unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWhitespace($0) })!
        return Substring(scalars[first...last])
    }

    /// The token of `Bearer <token>` (the scheme in any case), else nil.
    static func bearerToken(_ authorization: String) -> Substring? {
        // Over the header's UTF-8 bytes in place: a space is ASCII, so the offsets found are
        // scalar boundaries and slice the string itself. Through `String.UTF8View` indices this
        // was ~1,700 instructions a request (callgrind).
        let utf8 = authorization.utf8
        let found = utf8.withContiguousStorageIfAvailable(bearerTokenOffsets(in:)) ?? Array(utf8).withUnsafeBufferPointer(bearerTokenOffsets(in:))
        guard let (tokenStart, tokenEnd) = found, tokenStart < tokenEnd else { return nil }
        let start = utf8.index(utf8.startIndex, offsetBy: tokenStart)
        let end = utf8.index(utf8.startIndex, offsetBy: tokenEnd)
        guard utf8[start] < 0x80, utf8[utf8.index(before: end)] < 0x80 else {
            // Starts or ends outside ASCII: Unicode spaces are trimmed too.
            let token = trimmingWhitespace(authorization[start..<end])
            return token.isEmpty ? nil : token
        }
        return authorization[start..<end]
    }

    /// Where the token of `Bearer <token>` is (ASCII spaces and tabs around it cut), as byte
    /// offsets; nil when the scheme is not `Bearer`.
    private static func bearerTokenOffsets(in bytes: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let schemeStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") { index += 1 }
        guard equalsIgnoringASCIICase(UnsafeBufferPointer(rebasing: bytes[schemeStart..<index]), "bearer") else { return nil }
        var end = bytes.count
        while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == 0x09 { index += 1 }
        while end > index, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == 0x09 { end -= 1 }
        return (index, end)
    }

    /// The bearer token, else `x-api-key`. Whitespace around it is ignored; nothing else is altered.
    /// A part of the header's own value: nothing is copied for the usual, valid key.
    static func presentedKey(in headers: HTTPFields) -> Substring? {
        if let authorization = headers.firstValue(.authorization), let token = bearerToken(authorization) {
            return token
        }
        if let key = headers.firstValue(.apiKey).map({ Self.trimmingWhitespace($0[...]) }), !key.isEmpty {
            return key
        }
        return nil
    }

    private func refuse(_ error: OpenAIError, path: String, context: Context, errorClass: String) -> Response {
        context.trace.update { $0.errorClass = errorClass }
        if path == "/v1/messages" || path.hasPrefix("/v1/messages/") {
            return AnthropicErrorRendering.response(for: error)
        }
        return error.makeResponse()
    }

    static let missingKey = OpenAIError(
        status: .unauthorized,
        message: "Missing API key. Send your LocalRouter key as 'Authorization: Bearer lr-…' or 'x-api-key: lr-…'.",
        type: "invalid_request_error", code: "invalid_api_key")

    static let invalidKey = OpenAIError(
        status: .unauthorized,
        message: "Invalid API key: it is unknown, revoked, disabled or expired. Create one with 'localrouter keys create NAME'.",
        type: "invalid_request_error", code: "invalid_api_key")

    static let overloaded: OpenAIError = {
        var error = OpenAIError(
            status: .serviceUnavailable, message: "Too many API key checks are in progress; retry shortly.",
            type: "server_error", code: "auth_overloaded")
        error.headers[.retryAfter] = "1"
        return error
    }()
}
