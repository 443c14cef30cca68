import NIOCore
import NIOHTTP1

/// What to send to a plain-HTTP upstream.
struct PlainHTTPRequest: Sendable {
    var method: HTTPMethod
    var url: PlainHTTPURL
    var headers: [(name: String, value: String)]
    var body: ByteBuffer?
}

/// One request's way to its response head, on one event loop: the task waiting for it, the
/// deadline that bounds connecting plus waiting for the head, and the connection once it has one.
/// Whichever comes first — the head, a failure, the deadline, the caller's cancellation — settles it.
final class PlainHTTPExchange {
    enum Failure: Error {
        /// A reused connection closed before any response byte: safe to retry on a fresh one.
        case stale
        case upstream(UpstreamError)
    }

    let request: PlainHTTPRequest
    /// Told of the head (or the failure) exactly once (`settle`): a task's continuation, or the
    /// event-loop path's own step. A closure rather than a promise: the future, its callback list
    /// and the copies of the answer through it cost ~2,000 instructions a request.
    private var waiter: ((Result<UpstreamResponse, Failure>) -> Void)?
    private var deadline: NIOScheduledCallback?
    private var connection: PlainHTTPConnection?

    var isSettled: Bool { waiter == nil }

    init(request: PlainHTTPRequest, on loop: any EventLoop, timeout: TimeAmount, waiter: @escaping (Result<UpstreamResponse, Failure>) -> Void) {
        self.request = request
        self.waiter = waiter
        // A scheduled callback rather than `scheduleTask`, which made a promise and a future (and
        // looked up their generic metadata) for every request: ~2,000 instructions.
        do {
            self.deadline = try loop.scheduleCallback(in: timeout, handler: Deadline(exchange: NIOLoopBound(self, eventLoop: loop)))
        } catch {
            fail(.upstream(UpstreamError(kind: .connectionClosed, message: "the event loop is shutting down")))
        }
    }

    /// Never strand the waiter, whatever path drops an exchange unsettled.
    deinit {
        waiter?(.failure(.upstream(UpstreamError(kind: .connectionClosed, message: "the request was dropped"))))
    }

    private struct Deadline: NIOScheduledCallbackHandler, Sendable {
        let exchange: NIOLoopBound<PlainHTTPExchange>

        func handleScheduledCallback(eventLoop: some EventLoop) {
            exchange.value.fail(.upstream(UpstreamError(kind: .timeout, message: "timed out")))
        }
    }

    func attach(_ connection: PlainHTTPConnection) {
        self.connection = connection
    }

    func succeed(_ response: UpstreamResponse) {
        settle()?(.success(response))
    }

    func fail(_ failure: Failure) {
        guard let waiter = settle() else { return }
        connection?.abandon()
        waiter(.failure(failure))
    }

    /// The caller went away.
    func cancel() {
        fail(.upstream(UpstreamError(kind: .timeout, message: "cancelled")))
    }

    /// The waiter, the first time only; the deadline is cancelled with it.
    private func settle() -> ((Result<UpstreamResponse, Failure>) -> Void)? {
        guard let waiter else { return nil }
        self.waiter = nil
        deadline?.cancel()
        deadline = nil
        return waiter
    }
}
