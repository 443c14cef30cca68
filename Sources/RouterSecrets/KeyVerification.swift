/// The outcome of presenting an `lr-` key. Never carries the key itself.
package enum KeyVerification: Sendable, Equatable {
    case valid(KeyRecord)
    case invalid(InvalidKeyReason)

    package var record: KeyRecord? {
        if case .valid(let record) = self { record } else { nil }
    }
}

package enum InvalidKeyReason: String, Sendable, Equatable, CustomStringConvertible {
    /// Not `lr-` + 43 base64url characters.
    case malformed
    /// No key with that prefix, or the secret does not match.
    case unknown
    case revoked
    case disabled
    case expired
    /// Too many unverified keys are waiting for bcrypt; try again.
    case overloaded

    package var description: String {
        switch self {
        case .malformed: "the API key is malformed"
        case .unknown: "the API key is not valid"
        case .revoked: "the API key has been revoked"
        case .disabled: "the API key is disabled"
        case .expired: "the API key has expired"
        case .overloaded: "too many API key checks in progress; try again"
        }
    }
}
