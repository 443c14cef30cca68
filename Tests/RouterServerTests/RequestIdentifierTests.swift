import Testing

@testable import RouterServer

@Suite struct RequestIdentifierTests {
    @Test func idsAreReqAndSixteenLowercaseHexDigitsAndDistinct() {
        let ids = (0..<10_000).map { _ in RequestIdentifier.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.utf8.count == 20 && id.hasPrefix("req_"), "\(id)")
            #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) }, "\(id)")
        }
    }
}
