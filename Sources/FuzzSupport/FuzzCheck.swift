/// A fuzz target's invariant: traps with the message when it does not hold, so libFuzzer saves
/// the input. Not `precondition`: an optimized build (scripts/fuzz) drops its message.
package func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
