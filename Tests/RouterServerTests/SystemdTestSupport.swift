import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The worktree this test file lives in, and the binaries `swift build` made there.
enum BuiltProducts {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var localrouter: String { repositoryRoot.appendingPathComponent(".build/debug/localrouter").path }
}

/// A temporary HOME with the XDG layout the daemon and CLI use; removed on `cleanUp()`.
/// Paths stay short: a unix socket path must fit in 108 bytes.
struct TemporaryHome {
    let path: String

    init() throws {
        var template = Array("/tmp/lr-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
        try FileManager.default.createDirectory(atPath: runtimeDirectory, withIntermediateDirectories: true)
    }

    var configFile: String { path + "/.config/localrouter/config.yaml" }
    var runtimeDirectory: String { path + "/run" }
    var logDirectory: String { path + "/.local/state/localrouter/logs" }

    /// What a daemon or CLI started for a test sees: this HOME and nothing of the caller's
    /// environment (no real API keys, no NOTIFY_SOCKET).
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "HOME": path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "XDG_RUNTIME_DIR": runtimeDirectory, "LANG": "C.UTF-8",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    func write(config: String) throws {
        try FileManager.default.createDirectory(
            atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A finished command: exit status and everything it printed.
struct CommandResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs a command to completion without blocking the cooperative pool (a test's in-process
/// fake servers need it while the command talks to them): pipes are drained on their own threads.
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    return try await withCheckedThrowingContinuation { continuation in
        let collected = Mutex<(output: Data?, error: Data?)>((nil, nil))
        let finished = Mutex(false)
        @Sendable func finishIfDone() {
            let parts = collected.withLock { $0 }
            guard let outputData = parts.output, let errorData = parts.error else { return }
            guard finished.withLock({ done in defer { done = true }; return !done }) else { return }
            process.waitUntilExit()  // Both pipes hit EOF: the process has exited or is about to.
            continuation.resume(
                returning: CommandResult(
                    status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                    standardError: String(decoding: errorData, as: UTF8.self)))
        }
        Thread {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0.output = data }
            finishIfDone()
        }.start()
        Thread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0.error = data }
            finishIfDone()
        }.start()
        do {
            try process.run()
        } catch {
            finished.withLock { $0 = true }
            try? output.fileHandleForWriting.close()
            try? errors.fileHandleForWriting.close()
            continuation.resume(throwing: error)
        }
    }
}

/// `localrouter serve` as a child process, its stderr (the daemon's log) collected as it comes.
final class DaemonProcess: Sendable {
    let process: Process
    private let log = TextBuffer()

    /// Starts the daemon on 127.0.0.1:0 and waits until it logs the port it listens on. Every
    /// /v1 request needs a client key, so the home gets a master key and one `lr-` key first, the
    /// way a user makes them (`init`, `keys create`); `chat` and `StreamRecorder` send it.
    init(home: TemporaryHome, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        let key = try await Self.clientKey(home: home, environment: environment)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.localrouter)
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.environment = home.environment(environment)
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        self.process = process
        let log = self.log
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.append(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        port = try await Self.waitForPort(log: log, process: process)
        ClientKeys.register(key, for: "http://127.0.0.1:\(port)")
    }

    private static func clientKey(home: TemporaryHome, environment: [String: String]) async throws -> String {
        let keyFile = home.path + "/client.key"
        if let existing = try? String(contentsOfFile: keyFile, encoding: .utf8) { return existing }
        let initialised = try await runCommand(
            BuiltProducts.localrouter, ["init", "--no-detect", "--config", home.path + "/init-config.yaml"],
            environment: home.environment(environment))
        guard initialised.status == 0 else { throw DaemonStartFailure(log: "init failed: \(initialised.standardError)") }
        let created = try await runCommand(BuiltProducts.localrouter, ["keys", "create", "process-test"], environment: home.environment(environment))
        guard created.status == 0, let key = created.standardOutput.split(separator: "\n").last.map(String.init) else {
            throw DaemonStartFailure(log: "keys create failed: \(created.standardError)")
        }
        try key.write(toFile: keyFile, atomically: true, encoding: .utf8)
        return key
    }

    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }
    var processID: Int32 { process.processIdentifier }
    var output: String { log.text }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the log to contain `text`; false after `timeout`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return output.contains(text)
    }

    /// Waits for the exit; nil if it is still running after `timeout` (it is then killed).
    func waitForExit(timeout: Duration = .seconds(10)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// A test that failed half-way leaves no daemon behind.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func waitForPort(log: TextBuffer, process: Process) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(15)
        let marker = "listening on http://127.0.0.1:"
        while ContinuousClock.now < deadline {
            let text = log.text
            if let range = text.range(of: marker) {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw DaemonStartFailure(log: log.text)
    }
}

/// Text appended from a pipe's reader thread and read from tests.
final class TextBuffer: Sendable {
    private let storage = Mutex<String>("")
    func append(_ text: String) { storage.withLock { $0 += text } }
    var text: String { storage.withLock { $0 } }
}

struct DaemonStartFailure: Error, CustomStringConvertible {
    var log: String
    var description: String { "the daemon did not start listening; its log:\n\(log)" }
}

/// The receiving end of `$NOTIFY_SOCKET`: a datagram socket bound where the test says.
final class NotifySocketListener: Sendable {
    let path: String
    private let descriptor: Int32

    /// `abstract: true` binds `@name` in the abstract namespace (no file).
    init(path: String, abstract: Bool = false) throws {
        self.path = abstract ? "@" + path : path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes.insert(0, at: 0) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        // Drain the socket continuously, as systemd does: the daemon sends with MSG_DONTWAIT, so
        // a test that reads only when it asks would let watchdog pings fill the queue and lose
        // the message it waits for.
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let inbox = self.inbox
        let socketDescriptor = descriptor
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !inbox.isClosed {
                let count = recv(socketDescriptor, &buffer, buffer.count, 0)
                if count > 0 { inbox.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
            close(socketDescriptor)
        }
        thread.start()
    }

    private final class Inbox: Sendable {
        private let state = Mutex<(messages: [String], closed: Bool)>(([], false))
        var isClosed: Bool { state.withLock { $0.closed } }
        func close() { state.withLock { $0.closed = true } }
        func append(_ message: String) { state.withLock { $0.messages.append(message) } }
        func pop() -> String? { state.withLock { $0.messages.isEmpty ? nil : $0.messages.removeFirst() } }
    }

    private let inbox = Inbox()

    deinit {
        // The reader thread closes the socket once it sees this (within its 50 ms receive timeout).
        inbox.close()
        if !path.hasPrefix("@") { unlink(path) }
    }

    /// The next datagram, or nil when none arrives within `timeout`.
    func next(timeout: Duration = .seconds(5)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = inbox.pop() { return message }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    /// Reads datagrams until one contains `field`; returns it with those skipped before it.
    func next(containing field: String, timeout: Duration = .seconds(5)) async -> (match: String?, skipped: [String]) {
        let deadline = ContinuousClock.now + timeout
        var skipped: [String] = []
        while ContinuousClock.now < deadline, let message = await next(timeout: deadline - ContinuousClock.now) {
            if message.split(separator: "\n").contains(where: { $0 == field }) { return (message, skipped) }
            skipped.append(message)
        }
        return (nil, skipped)
    }
}

/// A chat request to `model` through the daemon; returns the status (0 when the connection failed).
func chat(_ base: String, model: String, stream: Bool = false) async -> (status: Int, body: String) {
    var request = HTTPClientRequest(url: base + "/v1/chat/completions")
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    if let key = ClientKeys.key(for: base) { request.headers.add(name: "authorization", value: "Bearer \(key)") }
    request.body = .bytes(
        ByteBuffer(string: #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"ping"}]}"#))
    do {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    } catch {
        return (0, "\(error)")
    }
}

/// The mock-only config the process tests start from; `extra` is appended under `routes:`.
func mockConfig(shutdownGrace: String = "10s", routes extra: String = "", providers: String = "") -> String {
    """
    version: 1
    server:
      listen: 127.0.0.1:3625
      shutdown_grace: \(shutdownGrace)
    providers:
      mock:
        type: mock
        models: [echo]
    \(providers)
    routes:
      default:
        targets: [mock/echo]
    \(extra)
    """
}

/// The client key of each daemon a process test started, by base URL.
enum ClientKeys {
    private static let keys = Mutex<[String: String]>([:])
    static func register(_ key: String, for base: String) { keys.withLock { $0[base] = key } }
    static func key(for base: String) -> String? { keys.withLock { $0[base] } }
}
