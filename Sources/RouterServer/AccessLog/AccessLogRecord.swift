import Foundation

/// One access-log line (SPEC §7): request metadata only — never prompts, completions or secrets.
/// Optional fields are written as `null`, never omitted; field order is the order below.
package struct AccessLogRecord: Sendable, Equatable {
    /// When the request arrived.
    package var timestamp: Date
    package var requestID: String
    /// The client key's name (never the key), or nil when the request was not authenticated.
    package var keyName: String?
    package var method: String
    package var path: String
    /// The model as the client requested it.
    package var model: String?
    package var route: String?
    package var provider: String?
    package var upstreamModel: String?
    package var status: Int
    package var stream: Bool
    package var inputTokens: Int?
    package var outputTokens: Int?
    package var costUSD: Double?
    package var latencyMilliseconds: Double?
    /// Time to the first byte sent to the client, for streams and plain responses alike.
    package var timeToFirstByteMilliseconds: Double?
    package var attempts: Int
    /// An error class such as `upstream_timeout`, never a message that could echo request content.
    package var error: String?

    package init(
        timestamp: Date,
        requestID: String,
        keyName: String? = nil,
        method: String,
        path: String,
        model: String? = nil,
        route: String? = nil,
        provider: String? = nil,
        upstreamModel: String? = nil,
        status: Int,
        stream: Bool = false,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        costUSD: Double? = nil,
        latencyMilliseconds: Double? = nil,
        timeToFirstByteMilliseconds: Double? = nil,
        attempts: Int = 0,
        error: String? = nil
    ) {
        self.timestamp = timestamp
        self.requestID = requestID
        self.keyName = keyName
        self.method = method
        self.path = path
        self.model = model
        self.route = route
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.status = status
        self.stream = stream
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.latencyMilliseconds = latencyMilliseconds
        self.timeToFirstByteMilliseconds = timeToFirstByteMilliseconds
        self.attempts = attempts
        self.error = error
    }
}

extension AccessLogRecord: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case timestamp = "ts"
        case requestID = "request_id"
        case keyName = "key"
        case method, path, model, route, provider
        case upstreamModel = "upstream_model"
        case status, stream
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case costUSD = "cost_usd"
        case latencyMilliseconds = "latency_ms"
        case timeToFirstByteMilliseconds = "ttfb_ms"
        case attempts, error
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .timestamp)
        guard let timestamp = AccessLogTimestamp.parseRFC3339(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .timestamp, in: container, debugDescription: "not an RFC 3339 timestamp")
        }
        self.timestamp = timestamp
        requestID = try container.decode(String.self, forKey: .requestID)
        keyName = try container.decodeIfPresent(String.self, forKey: .keyName)
        method = try container.decode(String.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        route = try container.decodeIfPresent(String.self, forKey: .route)
        provider = try container.decodeIfPresent(String.self, forKey: .provider)
        upstreamModel = try container.decodeIfPresent(String.self, forKey: .upstreamModel)
        status = try container.decode(Int.self, forKey: .status)
        stream = try container.decode(Bool.self, forKey: .stream)
        inputTokens = try container.decodeIfPresent(Int.self, forKey: .inputTokens)
        outputTokens = try container.decodeIfPresent(Int.self, forKey: .outputTokens)
        costUSD = try container.decodeIfPresent(Double.self, forKey: .costUSD)
        latencyMilliseconds = try container.decodeIfPresent(Double.self, forKey: .latencyMilliseconds)
        timeToFirstByteMilliseconds = try container.decodeIfPresent(Double.self, forKey: .timeToFirstByteMilliseconds)
        attempts = try container.decode(Int.self, forKey: .attempts)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }

    /// Encodes like the log line (local-time `ts`, explicit nulls), for encoders other than the writer's.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(AccessLogTimestamp.rfc3339(timestamp, timeZone: .current), forKey: .timestamp)
        try container.encode(requestID, forKey: .requestID)
        try encodeOrNull(keyName, .keyName, &container)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try encodeOrNull(model, .model, &container)
        try encodeOrNull(route, .route, &container)
        try encodeOrNull(provider, .provider, &container)
        try encodeOrNull(upstreamModel, .upstreamModel, &container)
        try container.encode(status, forKey: .status)
        try container.encode(stream, forKey: .stream)
        try encodeOrNull(inputTokens, .inputTokens, &container)
        try encodeOrNull(outputTokens, .outputTokens, &container)
        try encodeOrNull(costUSD.flatMap { $0.isFinite ? $0 : nil }, .costUSD, &container)
        try encodeOrNull(latencyMilliseconds.flatMap { $0.isFinite ? $0 : nil }, .latencyMilliseconds, &container)
        try encodeOrNull(
            timeToFirstByteMilliseconds.flatMap { $0.isFinite ? $0 : nil }, .timeToFirstByteMilliseconds, &container)
        try container.encode(attempts, forKey: .attempts)
        try encodeOrNull(error, .error, &container)
    }

    private func encodeOrNull<Value: Encodable>(
        _ value: Value?, _ key: CodingKeys, _ container: inout KeyedEncodingContainer<CodingKeys>
    ) throws {
        if let value {
            try container.encode(value, forKey: key)
        } else {
            try container.encodeNil(forKey: key)
        }
    }
}
