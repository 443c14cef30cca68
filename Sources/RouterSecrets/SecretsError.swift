import Foundation

/// An error from RouterSecrets. Messages name files and key names, never secret material,
/// so they are safe to print, log, or return to a client.
package struct SecretsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    package enum Code: String, Sendable, Equatable {
        case masterKeyMissing
        case masterKeyExposed
        case masterKeyInvalid
        case masterKeyExists
        case notSealed
        case unsupportedVersion
        case truncated
        case wrongMasterKey
        case tampered
        case unreadableContents
        case fileSystem
        case lockTimeout
        case invalidName
        case invalidArgument
        case duplicateName
        case keyNotFound
        case secretNotFound
        case bcryptFailed
        case randomFailed
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
    package var errorDescription: String? { message }

    /// A failed system call, with the path it concerned and the errno text.
    static func system(_ operation: String, path: String, errno code: Int32 = errno) -> SecretsError {
        SecretsError(.fileSystem, "cannot \(operation) \(path): \(String(cString: strerror(code)))")
    }
}
