/// One Server-Sent Event as the WHATWG EventSource spec frames it.
package struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; nil means the default `message`.
    package var event: String?
    /// The `data:` lines joined with `\n`.
    package var data: String
    package var id: String?

    package init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    /// The wire form, ending with the blank line that dispatches it.
    package var serialized: String {
        var text = ""
        if let event { text += "event: \(event)\n" }
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }
}
