/// Why a single config value (a duration, a size, a listen address) was rejected.
/// The loader pins it at the value; command-line flags that take the same formats
/// (`--listen`, `--expires`, `--since`) print `message` as their one-line reason.
package struct ConfigValueProblem: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}
