#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain POSIX calls. `FileManager.contents(atPath:)` leaks its 4 KiB buffer
/// on empty files in this toolchain's Foundation (found by the config-loader fuzz target).
enum FileContents {
    static func read(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { unistdRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
        return nil
    }

    /// A secret or token file's content without its trailing newlines (what editors and `echo` add).
    static func readSecret(_ path: String) -> [UInt8]? {
        guard var bytes = read(path) else { return nil }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes
    }
}

/// `read(2)`, named apart from the enum's own `read`.
private func unistdRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(descriptor, buffer, count)
    #else
    return Darwin.read(descriptor, buffer, count)
    #endif
}
