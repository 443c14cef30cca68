import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX helpers: Foundation hides the errno, the modes and the fsyncs we need.
enum FileSystem {
    /// The whole file, or nil when it does not exist.
    static func readFile(at path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw SecretsError.system("open", path: path)
        }
        defer { close(descriptor) }
        return try readAll(descriptor, path: path)
    }

    static func readAll(_ descriptor: Int32, path: String) throws -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SecretsError.system("read", path: path)
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
        }
        return contents
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw SecretsError.system("write", path: path)
            }
            offset += count
        }
    }

    static func sync(_ descriptor: Int32, path: String) throws {
        if fsync(descriptor) != 0 { throw SecretsError.system("fsync", path: path) }
    }

    /// fsync a directory so a rename or create in it survives a crash.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SecretsError.system("open directory", path: path) }
        defer { close(descriptor) }
        try sync(descriptor, path: path)
    }

    /// `mkdir -p` where every directory we create is 0700; existing ones are left as they are.
    static func makeDirectory(_ path: String) throws {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", !isDirectory(current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            if mkdir(directory, 0o700) != 0, errno != EEXIST {
                throw SecretsError.system("create directory", path: directory)
            }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func directory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    static func permissions(of path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }
}
