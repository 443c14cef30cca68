import Hummingbird
import NIOCore

/// Per-request state carried from middleware to controllers.
package struct RouterRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let requestID: String
    /// Filled by the controllers, read by the access-log middleware.
    package let trace: RequestTrace
    /// The authenticated client, once auth has run.
    package var identity: ClientIdentity?
    /// The client's address: loopback clients may read `/health/providers`, `/status` and `/metrics` without a key.
    package let remoteAddress: SocketAddress?
    /// The client's connection, for the rare request that must stop reading it.
    package let channel: any Channel
    /// Tells whether the client has hung up (set by the daemon's own server path; nil elsewhere).
    var connection: ClientConnectionWatch?
    /// The request target's path without its query, as the parser found it (the daemon's own
    /// server path; elsewhere it is made from the request: `path(of:)`).
    var routingPath: String?
    /// A request the event loop began (`EventLoopProxy`): read, admitted and perhaps tried once.
    var carried: CarriedRequest?

    /// The path the request is routed by: Hummingbird's `uri.path`, without parsing the URI again.
    func path(of request: Request) -> String {
        routingPath ?? request.routingPath
    }

    package init(source: ApplicationRequestContextSource) {
        self.init(source: source, requestID: RequestIdentifier.next(), trace: RequestTrace())
    }

    /// Goes on with what the event loop began: its request id, trace and caller.
    init(source: ApplicationRequestContextSource, carried: CarriedRequest) {
        self.init(source: source, requestID: carried.requestID, trace: carried.trace)
        self.identity = carried.identity
        self.carried = carried
    }

    private init(source: ApplicationRequestContextSource, requestID: String, trace: RequestTrace) {
        self.coreContext = .init(source: source)
        self.requestID = requestID
        self.trace = trace
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}
