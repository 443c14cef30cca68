#if canImport(Glibc)
import Glibc
#endif

/// The open-file limit of the daemon process. systemd (and most shells) start a process with a
/// soft limit of 1,024 descriptors, while a proxy holds two per request in flight (client and
/// upstream): a thousand concurrent streams would fail to accept or connect. The soft limit is
/// raised to the hard one at start-up, as nginx's `worker_rlimit_nofile` and Go's runtime do.
package enum FileDescriptorLimit {
    /// Beyond this the kernel's `nr_open` usually refuses, and no router needs more.
    static let ceiling: rlim_t = 1 << 20

    /// Raises the soft limit to the hard one (capped); returns the limits before and after, or
    /// nil when they could not be read.
    @discardableResult
    package static func raiseSoftLimit() -> (before: UInt64, after: UInt64)? {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        let target = min(limit.rlim_max, ceiling)
        guard limit.rlim_cur < target else { return (before, before) }
        limit.rlim_cur = target
        guard setrlimit(resource, &limit) == 0 else { return (before, before) }
        return (before, UInt64(target))
    }
}
