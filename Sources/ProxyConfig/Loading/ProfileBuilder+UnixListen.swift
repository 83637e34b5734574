/// `listen_unix` and `listen_unix_mode`: a Unix-domain socket instead of host and port.
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: listen on host and port.
    mutating func unixListenValue() -> UnixListen?? {
        guard let value = scalar("listen_unix") else {
            if let mode = written("listen_unix_mode") {
                report(mode, "`listen_unix_mode` belongs to `listen_unix`", fix: "add `listen_unix: /run/user/1000/mcp-auth-proxy/prod.sock`, or remove `listen_unix_mode`")
                return nil
            }
            return .some(nil)
        }
        let path = value.text
        guard path.hasPrefix("/"), !path.hasSuffix("/"), path.utf8.count <= UnixListen.maximumPathBytes, !path.contains("\0") else {
            report(value.source, "\(quoted(path)) is not a usable socket path",
                   fix: "write an absolute file path of at most \(UnixListen.maximumPathBytes) bytes, e.g. /run/user/1000/mcp-auth-proxy/prod.sock")
            return nil
        }
        for key in ["listen_host", "listen_port"] {
            if let source = fields[key], source.keyPath?.hasPrefix("defaults.") != true, case .node = source.value {
                report(source, "`\(key)` and `listen_unix` both say where to listen", fix: "keep `listen_unix`, or remove it to listen on host and port")
                return nil
            }
        }
        var mode: UInt16 = 0o600
        if let source = written("listen_unix_mode"), let text = source.scalar?.text {
            guard (3...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }), let parsed = UInt16(text, radix: 8),
                  parsed & 0o7000 == 0 else {
                report(source, "\(quoted(text)) is not a file mode", fix: "write octal permission bits such as 0600 (owner) or 0660 (owner and group)")
                return nil
            }
            if parsed & 0o007 != 0 {
                report(source, "mode \(text) lets every local user connect, and so use the profile's key",
                       fix: "use 0600, or 0660 with a dedicated group", severity: .warning)
            }
            mode = parsed
            origins["listen_unix_mode"] = source.origin
        }
        return .some(UnixListen(path: path, mode: mode))
    }
}
