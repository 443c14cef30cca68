import Foundation
import Testing

@testable import RouterCore

@Suite struct RoutingUpstreamFailureTests {
    @Test(arguments: [408, 429, 500, 502, 503, 504, 529, 599])
    func retryableStatuses(status: Int) {
        #expect(UpstreamFailure.isRetryable(status: status))
        #expect(UpstreamFailure.status(status).isRetryable)
        #expect(UpstreamFailure.status(status).countsAgainstTarget)
    }

    @Test(arguments: [400, 401, 403, 404, 409, 413, 422, 200, 301])
    func nonRetryableStatuses(status: Int) {
        #expect(!UpstreamFailure.isRetryable(status: status))
        #expect(!UpstreamFailure.status(status).countsAgainstTarget)
    }

    @Test func transportFailuresAreRetryable() {
        for failure in [UpstreamFailure.connect, .timeout, .connectionClosed] {
            #expect(failure.isRetryable)
        }
    }

    @Test func clientStatusAfterAllFallbacks() {
        #expect(UpstreamFailure.timeout.clientStatus == 504)
        #expect(UpstreamFailure.connect.clientStatus == 502)
        #expect(UpstreamFailure.status(500).clientStatus == 502)
        #expect(UpstreamFailure.status(529).clientStatus == 503)
        #expect(UpstreamFailure.status(504).clientStatus == 504)
        #expect(UpstreamFailure.status(503).clientStatus == 503)
        #expect(UpstreamFailure.status(429).clientStatus == 503)
        #expect(UpstreamFailure.status(400).clientStatus == 400)
        #expect(UpstreamFailure.status(500).errorClass == "upstream_500")
    }

    private let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test func retryAfterDeltaSeconds() {
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("1.5", now: now) == .milliseconds(1500))
    }

    @Test func retryAfterHTTPDates() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:50:37 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Sun Nov  6 08:51:37 1994", now: now) == .seconds(120))
        // In the past: no wait.
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
    }

    @Test func retryAfterGarbage() {
        for header in ["", "soon", "-5", "1.2.3", "Sun, 99 Foo 1994 08:50:07 GMT"] {
            #expect(RetryAfter.parse(header, now: now) == nil, "\(header)")
        }
    }
}
