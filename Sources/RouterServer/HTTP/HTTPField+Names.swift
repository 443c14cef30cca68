import HTTPTypes

/// The header names the router sets on responses, checked once rather than on every request.
extension HTTPField.Name {
    static let requestID = HTTPField.Name("x-request-id")!
    static let localRouterProvider = HTTPField.Name("x-localrouter-provider")!
    static let localRouterModel = HTTPField.Name("x-localrouter-model")!
    static let localRouterAttempts = HTTPField.Name("x-localrouter-attempts")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
