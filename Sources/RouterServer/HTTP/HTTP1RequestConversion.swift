import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1

extension HTTPRequest {
    /// A decoded HTTP/1.1 request head as HTTP types, as `HTTPRequest(_:secure: false, splitCookie:
    /// false)` makes it, for less: that parses every request target with Foundation's
    /// `URLComponents` (to find an absolute form): 3,400 of its ~12,000 instructions a request
    /// (callgrind). (Building the fields costs about the same either way: HTTPFields' `append`
    /// is generic and unspecialised, and `append(contentsOf:)` of an array was dearer still.)
    /// A target in origin form (`/…`, every request a client sends to a server) is the path as it
    /// is; any other form goes the library's way.
    init(routing head: HTTPRequestHead) throws {
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            try self.init(head, secure: false, splitCookie: false)
            return
        }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        var authority: String?
        for (name, value) in head.headers {
            // The first Host is the authority (a pseudo-field), not a field, as the library does.
            if authority == nil, equalsIgnoringASCIICase(name.utf8, "host") {
                authority = value
                continue
            }
            // A name HTTP types cannot hold is left out, as the library does.
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        self.init(method: try Method(head.method), scheme: "http", authority: authority, path: head.uri, headerFields: fields)
    }
}
