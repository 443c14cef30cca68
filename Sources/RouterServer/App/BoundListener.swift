import RouterCore
import Synchronization

/// The address the server actually listens on (the configured one, with the port the OS chose
/// when the config says port 0), for `GET /status`.
package final class BoundListener: Sendable {
    private let address: Mutex<ListenAddress>

    package init(_ configured: ListenAddress) {
        self.address = Mutex(configured)
    }

    package var current: ListenAddress { address.withLock { $0 } }

    package func bound(port: Int) {
        address.withLock { $0.port = port }
    }
}
