/// The `audit:` block: one JSON line per `tools/call`, `resources/read` and `prompts/get`, and per
/// request the proxy refused (docs/operations.md, "Audit trail"). Absent, nothing is audited.
package struct AuditSettings: Sendable, Hashable {
    package enum Destination: Sendable, Hashable, CustomStringConvertible {
        case stderr
        /// Appended to, created 0600; reopened on SIGHUP and SIGUSR1 (logrotate).
        case file(String)

        package var description: String {
            switch self {
            case .stderr: "stderr"
            case .file(let path): path
            }
        }
    }

    /// What a call's arguments become in its line.
    package enum Arguments: String, Sendable, Hashable, CaseIterable {
        /// Left out.
        case omit
        /// `arguments_sha256`: the SHA-256 of their canonical form, so equal arguments hash equally.
        case sha256
        /// `arguments`: the canonical form itself.
        case full
    }

    package let destination: Destination
    package let arguments: Arguments
    /// Argument key patterns (`*` and `?`, case-insensitive) whose values are replaced with
    /// `"[redacted]"`, at any depth, before hashing or writing.
    package let redact: [String]
    /// Where each key's value came from, for `check`.
    package let origins: [String: ConfigOrigin]

    package init(destination: Destination, arguments: Arguments = .sha256, redact: [String] = [], origins: [String: ConfigOrigin] = [:]) {
        self.destination = destination
        self.arguments = arguments
        self.redact = redact
        self.origins = origins
    }

    package static func == (lhs: AuditSettings, rhs: AuditSettings) -> Bool {
        lhs.destination == rhs.destination && lhs.arguments == rhs.arguments && lhs.redact == rhs.redact
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(destination)
        hasher.combine(arguments)
        hasher.combine(redact)
    }
}
