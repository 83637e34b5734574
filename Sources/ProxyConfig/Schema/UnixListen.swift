/// A Unix-domain socket instead of host:port (`listen_unix`): only users the file's mode lets in
/// can connect, which closes the gap of a loopback port that every local user can reach.
package struct UnixListen: Sendable, Hashable {
    package let path: String
    /// The socket file's permission bits (`listen_unix_mode`, default 0600: the owner only).
    package let mode: UInt16

    package init(path: String, mode: UInt16 = 0o600) {
        self.path = path
        self.mode = mode
    }

    /// Longest path `sockaddr_un` holds on Linux (108 bytes with the terminating NUL).
    package static let maximumPathBytes = 107

    package var modeText: String { "0" + String(mode, radix: 8) }
}
