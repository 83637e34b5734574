#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `audit:` block: found in at most one file. Its path must be absolute (the proxy may run
/// from any directory) in a directory that exists; the file itself is opened at start.
extension ConfigLoader {
    static func auditSettings(_ blocks: [AdminBlock], environment: [String: String], into diagnostics: inout [Diagnostic]) -> AuditSettings? {
        for extra in blocks.dropFirst() {
            diagnostics.append(Diagnostic(.error, at: .file(path: extra.path, mark: extra.mark), keyPath: "audit",
                                          "`audit:` is also configured in \(blocks[0].path)", fixIt: "keep one `audit:` block across all config files"))
        }
        guard let block = blocks.first else { return nil }
        var fields: [String: FieldSource] = [:]
        for (key, entry) in block.entries {
            fields["audit.\(key)"] = FieldSource(value: .node(entry.value), origin: .file(path: block.path, mark: entry.value.mark), keyPath: "audit.\(key)")
        }
        var builder = ProfileBuilder(name: "audit", declaration: .file(path: block.path, mark: block.mark), declarationPath: "audit",
                                     fields: fields, environment: environment)
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
        guard let node = source.node, case .sequence(let items) = node.content else {
            report(source, "expected \(ConfigKey.Kind.patterns.expectation), found \(source.foundDescription)",
                   fix: "write `redact: [password, token, \"*secret*\"]`")
            return nil
        }
        var patterns: [String] = []
        for item in items {
            guard let pattern = item.scalar, !item.isNull, !pattern.isEmpty else {
                report(FieldSource(value: .node(item), origin: Self.origin(source.origin, item.mark), keyPath: source.keyPath),
                       "a redaction pattern must be a non-empty string", fix: "use argument key names with `*` and `?` wildcards")
                return nil
            }
            patterns.append(pattern)
        }
        return patterns
    }
}
