/// A signing secret, held in memory only. Its description never shows the bytes, so that
/// string interpolation, `dump` or a log call cannot leak it by accident.
package struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package enum Source: Sendable, Hashable, CustomStringConvertible {
        case environment(variable: String)
        case file(path: String)
        /// The stdout of `secret_command`; only the program's name is kept (for `check`).
        case command(program: String)
        /// `auth_scheme: none`: there is no secret.
        case none

        package var description: String {
            switch self {
            case .environment(let variable): return "env \(variable)"
            case .file(let path): return "file \(path)"
            case .command(let program): return "command \(program)"
            case .none: return "none"
            }
        }
    }

    /// The key bytes: the secret's UTF-8 encoding.
    package let bytes: [UInt8]
    package let source: Source

    package init(bytes: [UInt8], source: Source) {
        self.bytes = bytes
        self.source = source
    }

    package var description: String { "<secret from \(source), \(bytes.count) bytes>" }
    package var debugDescription: String { description }
    /// `dump` and debuggers see no children, so the bytes cannot be printed through reflection either.
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
