#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `audit:` block: found in at most one file. Its path must be absolute (the proxy may run
/// from any directory) in a directory that exists; the file itself is opened at start.
extension ConfigLoader {
    static func auditSettings(_ blocks: [RootBlock], environment: [String: String], into diagnostics: inout [Diagnostic]) -> AuditSettings? {
        guard let (fields, declaration) = singleBlock("audit", blocks, into: &diagnostics) else { return nil }
        var builder = ProfileBuilder(name: "audit", declaration: declaration, declarationPath: "audit", fields: fields, environment: environment)
        let destination = builder.auditDestination()
        let arguments = builder.choice("audit.arguments", default: AuditSettings.Arguments.sha256)
        let redact = builder.auditRedactions()
        diagnostics += builder.diagnostics
        guard builder.diagnostics.errors.isEmpty, let destination, let arguments, let redact else { return nil }
        return AuditSettings(destination: destination, arguments: arguments, redact: redact, origins: builder.origins)
    }
}

extension ProfileBuilder {
    mutating func auditDestination() -> AuditSettings.Destination? {
        guard let value = scalar("audit.path") else {
            missing("path", fix: "add `path: /var/log/mcp-auth-proxy/audit.jsonl` (or `path: stderr`) under `audit:`")
            return nil
        }
        if value.text == "stderr" { return .stderr }
        guard value.text.hasPrefix("/") else {
            report(value.source, "\(quoted(value.text)) is not an absolute path", fix: "write the full path, e.g. /var/log/mcp-auth-proxy/audit.jsonl, or stderr")
            return nil
        }
        let directory = value.text.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var status = stat()
        guard stat(directory.isEmpty ? "/" : directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            report(value.source, "the directory \(quoted(directory)) does not exist", fix: "create it (writable by the proxy's user), or choose another path")
            return nil
        }
        return .file(value.text)
    }

    /// `.some([])` when absent; nil when invalid.
    mutating func auditRedactions() -> [String]? {
        guard let source = written("audit.redact") else { return [] }
        origins["audit.redact"] = source.origin
        guard let node = source.node else { return nil }
        return patternList(node, key: "audit.redact", at: source, origin: source, of: "argument key", example: #"[password, token, "*secret*"]"#)
    }
}
