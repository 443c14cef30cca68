import Hummingbird
import NIOCore

/// Per-request state carried from middleware to controllers.
package struct RouterRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let requestID: String
    /// Filled by the controllers, read by the access-log middleware.
    package let trace: RequestTrace
    /// The authenticated client, once auth has run.
    package var identity: ClientIdentity?
    /// The client's address, for the loopback-only exemptions of `AuthPolicy`.
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = RequestIdentifier.next()
        self.trace = RequestTrace()
        self.remoteAddress = source.channel.remoteAddress
    }
}
