import AsyncHTTPClient
import Foundation
import NIOCore
import RouterCore

/// How the CLI talks to the running daemon: plain HTTP to `server.listen` on loopback.
package enum DaemonClient {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// GETs `path` from the daemon listening on `listen` and returns status and body.
    package static func get(_ path: String, listen: ListenAddress, timeout: Duration = .seconds(5)) async throws(Failure) -> (status: Int, body: String) {
        let base = baseURL(for: listen)
        do {
            var request = HTTPClientRequest(url: base + path)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: timeout.timeAmount)
            let body = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            let reason = UpstreamTransport.classify(error).message
            throw Failure(description: "the daemon is not answering at \(base) (\(reason)); is `localrouter serve` running?")
        }
    }

    /// A wildcard listen address is reached through loopback.
    package static func baseURL(for listen: ListenAddress) -> String {
        var address = listen
        switch listen.host {
        case "0.0.0.0", "": address.host = "127.0.0.1"
        case "::", "[::]": address.host = "::1"
        default: break
        }
        return "http://\(address)"
    }
}
