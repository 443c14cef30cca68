/// What HTTP allows in a header (RFC 9110): the config reader checks names as it reads them, the
/// upstream client checks names and values before anything is sent.
package enum HTTPHeaderSyntax {
    /// A token: letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// Visible characters, spaces and tabs, and UTF-8 (obs-text): no CR, LF, NUL or other controls.
    package static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }
    }
}
