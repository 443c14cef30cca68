import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Testing

@testable import RouterServer

@Suite struct HTTP1RequestConversionTests {
    /// The router's conversion of a request head agrees with NIO's own in every part.
    @Test func agreesWithTheLibrarysConversion() throws {
        let heads: [(HTTPMethod, String, [(String, String)])] = [
            (.POST, "/v1/chat/completions", [("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"), ("Authorization", "Bearer lr-x"), ("content-length", "12")]),
            (.GET, "/v1/models?x=1&y=%20", [("HOST", "a"), ("host", "b"), ("Cookie", "a=1; b=2"), ("X-Odd", "  spaced  ")]),
            (.GET, "/health", []),
            (.HEAD, "//v1//models/", [("accept", "*/*"), ("hOsT", "c")]),
            (.GET, "http://example.com:81/p?q=1", [("Host", "example.com")]),
            (.GET, "*", [("Host", "x")]),
            (.RAW(value: "PURGE"), "/cache", [("Host", "x"), ("bad name", "dropped")]),
        ]
        for (method, uri, headers) in heads {
            let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
            let ours = try HTTPRequest(routing: head)
            let library = try HTTPRequest(head, secure: false, splitCookie: false)
            #expect(ours == library, "\(method) \(uri)")
            #expect(Array(ours.headerFields) == Array(library.headerFields), "\(method) \(uri)")
            #expect(ours.authority == library.authority && ours.path == library.path && ours.scheme == library.scheme)
        }
    }
}
