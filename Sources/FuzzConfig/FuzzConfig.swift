import FuzzSupport
import RouterCore

/// libFuzzer target for the config loader: any text gives either a configuration or at least one
/// diagnostic, each with a message, a line within the file and a column of at least 1.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The loader reads only valid UTF-8 (a file that is not is refused before parsing); repairing
    // instead of skipping lets every input reach the parser.
    let yaml = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lineCount = lines(in: yaml)
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: "fuzz.yaml", environment: environment)
    } catch {
        fuzzCheck(!error.diagnostics.isEmpty, "a rejected config without a diagnostic")
        for diagnostic in error.diagnostics {
            fuzzCheck(
                diagnostic.line >= 1 && diagnostic.line <= lineCount && diagnostic.column >= 1 && !diagnostic.message.isEmpty,
                "misplaced diagnostic in a file of \(lineCount) lines: \(diagnostic)")
        }
    }
    return 0
}

private let environment = ["OPENAI_API_KEY": "sk-fuzz", "OPENROUTER_API_KEY": "sk-or-fuzz", "GEMINI_API_KEY": "gm-fuzz"]

/// Lines as an editor counts them: `\n`, `\r\n` and a lone `\r` end a line, and the text after
/// the last line end (empty if the file ends with one) is a line too, where an error at the end
/// of the file points.
private func lines(in text: String) -> Int {
    var count = 1
    var previous: UInt8 = 0
    for byte in text.utf8 {
        if byte == UInt8(ascii: "\n") {
            if previous != UInt8(ascii: "\r") { count += 1 }
        } else if byte == UInt8(ascii: "\r") {
            count += 1
        }
        previous = byte
    }
    return count
}

// libFuzzer brings its own main; a plain build replays files through the check (FuzzReplay).
#if !FUZZING
@main enum FuzzConfig {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
