import Foundation

extension AccessLogRecord {
    /// Appends this record as one JSON line (with its trailing `\n`) to `bytes`.
    /// Hand-written rather than `JSONEncoder`: it runs for every request and is several times faster,
    /// and it fixes the field order and writes `null` for absent values.
    package func appendJSONLine(to bytes: inout [UInt8], utcOffsetSeconds: Int) {
        bytes.append(contentsOf: #"{"ts":""#.utf8)
        AccessLogTimestamp.appendRFC3339(timestamp, utcOffsetSeconds: utcOffsetSeconds, to: &bytes)
        bytes.append(contentsOf: #"","request_id":"#.utf8)
        AccessLogJSON.appendString(requestID, to: &bytes)
        bytes.append(contentsOf: #","key":"#.utf8)
        AccessLogJSON.appendString(keyName, to: &bytes)
        bytes.append(contentsOf: #","method":"#.utf8)
        AccessLogJSON.appendString(method, to: &bytes)
        bytes.append(contentsOf: #","path":"#.utf8)
        AccessLogJSON.appendString(path, to: &bytes)
        bytes.append(contentsOf: #","model":"#.utf8)
        AccessLogJSON.appendString(model, to: &bytes)
        bytes.append(contentsOf: #","route":"#.utf8)
        AccessLogJSON.appendString(route, to: &bytes)
        bytes.append(contentsOf: #","provider":"#.utf8)
        AccessLogJSON.appendString(provider, to: &bytes)
        bytes.append(contentsOf: #","upstream_model":"#.utf8)
        AccessLogJSON.appendString(upstreamModel, to: &bytes)
        bytes.append(contentsOf: #","status":"#.utf8)
        AccessLogJSON.appendInteger(status, to: &bytes)
        bytes.append(contentsOf: (stream ? #","stream":true"# : #","stream":false"#).utf8)
        bytes.append(contentsOf: #","input_tokens":"#.utf8)
        AccessLogJSON.appendInteger(inputTokens, to: &bytes)
        bytes.append(contentsOf: #","output_tokens":"#.utf8)
        AccessLogJSON.appendInteger(outputTokens, to: &bytes)
        bytes.append(contentsOf: #","cost_usd":"#.utf8)
        AccessLogJSON.appendNumber(costUSD, to: &bytes)
        bytes.append(contentsOf: #","latency_ms":"#.utf8)
        AccessLogJSON.appendNumber(latencyMilliseconds.map(Self.roundedToMicroseconds), to: &bytes)
        bytes.append(contentsOf: #","ttfb_ms":"#.utf8)
        AccessLogJSON.appendNumber(timeToFirstByteMilliseconds.map(Self.roundedToMicroseconds), to: &bytes)
        bytes.append(contentsOf: #","attempts":"#.utf8)
        AccessLogJSON.appendInteger(attempts, to: &bytes)
        bytes.append(contentsOf: #","error":"#.utf8)
        AccessLogJSON.appendString(error, to: &bytes)
        bytes.append(contentsOf: "}\n".utf8)
    }

    /// The JSON line (with its trailing newline), `ts` in `timeZone`.
    package func jsonLine(timeZone: TimeZone = .current) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(384)
        appendJSONLine(to: &bytes, utcOffsetSeconds: timeZone.secondsFromGMT(for: timestamp))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func roundedToMicroseconds(_ milliseconds: Double) -> Double {
        (milliseconds * 1000).rounded() / 1000
    }
}
