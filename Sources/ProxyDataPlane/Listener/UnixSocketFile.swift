#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file of a `listen_unix` socket. Before binding: a socket file left by a dead process is
/// removed, one a live process listens on is refused, and anything that is not a socket is left
/// alone and refused. The bind itself happens under a umask that lets only the owner in, and the
/// configured mode is applied right after, so the socket is never open wider than configured.
enum UnixSocketFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func prepare(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw Problem(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw Problem(description: "\(path) exists and is not a socket; it was left alone (move it, or choose another listen_unix)")
        }
        if isLive(path) {
            throw Problem(description: "\(path) is in use: another process listens on it")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Problem(description: "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func isLive(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }

    /// Runs `bind` with a umask that keeps group and others out, then sets `mode`.
    static func bind<Result>(_ path: String, mode: UInt16, _ bind: () async throws -> Result) async throws -> Result {
        let previous = umask(0o177)
        let result: Result
        do {
            result = try await bind()
        } catch {
            umask(previous)
            throw error
        }
        umask(previous)
        guard chmod(path, mode_t(mode)) == 0 else {
            throw Problem(description: "cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
        return result
    }

    /// Removes the socket file when the listener is gone (only if it still is a socket).
    static func remove(_ path: String) {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
    }
}
