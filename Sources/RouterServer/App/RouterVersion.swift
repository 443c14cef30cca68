/// The release, shown by `localrouter --version` and `GET /status`.
package enum RouterVersion {
    package static let current = "0.1.0"
}
