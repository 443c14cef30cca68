/// What the client speaks: an OpenAI endpoint, or Anthropic's Messages API (`POST /v1/messages`).
package enum ClientFormat: Sendable, Equatable {
    case openAI(Endpoint)
    case anthropicMessages

    var canStream: Bool {
        switch self {
        case .openAI(let endpoint): endpoint.canStream
        case .anthropicMessages: true
        }
    }
}

/// What an upstream speaks on the wire.
package enum WireFormat: Sendable, Equatable {
    case openAI
    case anthropic
}
