import AsyncHTTPClient
import Foundation
import NIOCore

/// A `localrouter serve` process in a sandbox, listening on a port the kernel chose.
struct DaemonProcess: Sendable {
    let sandbox: CLISandbox
    let launched: CLISandbox.Launched
    let base: String

    static func start(in sandbox: CLISandbox) async throws -> DaemonProcess {
        let launched = try sandbox.launch(["serve", "--listen", "127.0.0.1:0"])
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(20) {
            let stderr = (try? String(contentsOf: launched.stderrFile, encoding: .utf8)) ?? ""
            if let range = stderr.range(of: #"listening on http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                let address = stderr[range].dropFirst("listening on ".count)
                return DaemonProcess(sandbox: sandbox, launched: launched, base: String(address))
            }
            if !launched.process.isRunning {
                throw SandboxError("serve exited with \(launched.process.terminationStatus): \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        launched.process.terminate()
        throw SandboxError("serve did not start listening")
    }

    /// SIGTERM, then the captured output.
    @discardableResult
    func stop() -> CLISandbox.Output {
        if launched.process.isRunning { launched.process.terminate() }
        launched.process.waitUntilExit()
        return sandbox.finish(launched)
    }

    func request(_ path: String, key: String? = nil, header: String = "authorization", json: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        if let key {
            request.headers.add(name: header, value: header == "authorization" ? "Bearer \(key)" : key)
        }
        if let json {
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        sandbox.capture(body)
        return (Int(response.status.code), body)
    }

    /// Polls until `key` gets `status` on /v1/models; how long that took.
    func timeUntil(_ status: Int, key: String, limit: Duration = .seconds(4)) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await request("/v1/models", key: key).status == status { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }
}
