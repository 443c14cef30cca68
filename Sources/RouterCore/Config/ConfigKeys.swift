/// The keys each config section accepts. The loader rejects anything else, and a test
/// holds `ConfigSchema` to the same lists so the editor schema cannot drift.
enum ConfigKeys {
    static let root = ["version", "server", "providers", "routes", "health", "retry", "limits", "pricing", "logging"]
    static let server = ["listen", "allow_remote", "request_timeout", "shutdown_grace", "max_body"]
    static let provider = ["type", "api_key", "base_url", "models", "timeout", "headers"]
    static let route = ["strategy", "targets"]
    static let routeTarget = ["target", "weight"]
    static let health = ["interval", "failure_threshold", "cooldown"]
    static let retry = ["attempts"]
    static let limits = ["rpm", "tpm"]
    static let price = ["input", "output"]
    static let logging = ["access_log", "retention_days", "level"]
    /// swift-log's levels.
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}
