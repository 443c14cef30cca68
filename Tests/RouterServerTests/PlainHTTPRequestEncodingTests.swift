import NIOCore
import NIOHTTP1
import Testing

@testable import RouterServer

@Suite struct PlainHTTPRequestEncodingTests {
    private func encoded(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: String?) -> String {
        let request = PlainHTTPRequest(method: method, url: PlainHTTPURL(url)!, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return String(buffer: PlainHTTPConnection.encode(request, allocator: ByteBufferAllocator()))
    }

    @Test func headAndBodyGoInOneBufferWithTheRoutersOwnFraming() {
        let post = encoded(
            .POST, "http://127.0.0.1:8080/v1/chat/completions?x=1",
            headers: [("Content-Type", "application/json"), ("Content-Length", "999"), ("transfer-encoding", "chunked"), ("HOST", "evil"), ("x-extra", "a b")],
            body: #"{"a":1}"#)
        #expect(post == "POST /v1/chat/completions?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nx-extra: a b\r\ncontent-length: 7\r\n\r\n{\"a\":1}")
        #expect(encoded(.GET, "http://[::1]/v1/models", headers: [], body: nil) == "GET /v1/models HTTP/1.1\r\nhost: [::1]\r\n\r\n")
        #expect(encoded(.POST, "http://h:1/p", headers: [], body: nil) == "POST /p HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n")
    }
}
