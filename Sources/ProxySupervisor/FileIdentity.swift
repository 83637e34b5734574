#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `--watch` compares between polls: device, inode, size and modification time of a path,
/// following symlinks, so that Kubernetes' ConfigMap and Secret volumes (which swap a `..data`
/// symlink to a new directory) are noticed like an edit in place. A missing file is an identity too.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = -1
    var modifiedSeconds: Int = 0
    var modifiedNanoseconds: Int = 0

    static func of(_ path: String) -> FileIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else { return FileIdentity() }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                            modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    static func of(_ paths: [String]) -> [String: FileIdentity] {
        Dictionary(paths.map { ($0, of($0)) }, uniquingKeysWith: { first, _ in first })
    }
}
