import Foundation

/// The `main` of the fuzz targets in a plain build: replays the files (or directories of files)
/// given as arguments through the target's check, so a crash input or a corpus can be re-run
/// without the sanitizer (`.build/debug/FuzzJSON Fuzz/corpus/json`).
///
/// Built by `scripts/fuzz` (`--sanitize fuzzer`, `-D FUZZING`), a target has no `main` of its
/// own: libFuzzer's is linked in and calls `LLVMFuzzerTestOneInput`. A plain build needs one,
/// or the executable would not link.
package enum FuzzReplay {
    package typealias TestOneInput = (UnsafePointer<UInt8>, Int) -> CInt

    package static func main(_ testOneInput: TestOneInput) -> Never {
        exit(replay(Array(CommandLine.arguments.dropFirst()), testOneInput))
    }

    static func replay(_ paths: [String], _ testOneInput: TestOneInput) -> Int32 {
        let name = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "fuzz target"
        guard !paths.isEmpty, !paths.contains(where: { $0.hasPrefix("-") }) else {
            FileHandle.standardError.write(
                Data(
                    """
                    usage: \(name) FILE|DIRECTORY...
                    Replays inputs through the target's check (a failed check traps).
                    Fuzzing needs the libFuzzer build: scripts/fuzz.

                    """.utf8))
            return 64
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("\(name): cannot read \(file)\n".utf8))
                    return 66
                }
                // Named first, so the input that traps is the last one printed.
                FileHandle.standardError.write(Data("\(name): \(file)\n".utf8))
                // One spare byte: an empty input still gets a valid pointer, as from libFuzzer.
                let bytes = [UInt8](data) + [0]
                _ = bytes.withUnsafeBufferPointer { testOneInput($0.baseAddress!, data.count) }
                count += 1
            }
        }
        print("\(name): \(count) inputs, every check passed")
        return 0
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
    }
}
