import Crypto
import MCPMessages
import ProxyConfig

/// A call's `arguments` as the audit line carries them: redacted, then in one canonical form, so
/// that equal arguments give equal text and equal hashes however a client spaced or ordered them.
///
/// The form: no whitespace; object members sorted by their keys' UTF-16 code units (as RFC 8785,
/// JSON Canonicalization, sorts them); strings in the log lines' escaping; numbers as the client
/// wrote them (RFC 8785 would also rewrite `1.0` as `1`: two clients that write one number
/// differently hash differently). A member whose key matches a `redact` pattern, at any depth,
/// has its value replaced by `"[redacted]"` first.
package struct AuditArguments: Sendable {
    package let mode: AuditSettings.Arguments
    /// The `redact` patterns, lowercased: matching ignores case.
    private let redactions: [String]

    package init(_ settings: AuditSettings) {
        mode = settings.arguments
        redactions = settings.redact.map { $0.lowercased() }
    }

    package static let redacted = #""[redacted]""#

    /// What goes in the line: nil under `omit` (or without arguments).
    package func rendered(_ arguments: JSONNode?) -> Rendered? {
        guard mode != .omit, let arguments else { return nil }
        let text = canonical(arguments)
        switch mode {
        case .omit: return nil
        case .full: return .full(text)
        case .sha256:
            // Fed as bytes in place: the generic `hash(data:)` walks a `DataProtocol`'s regions.
            var hasher = SHA256()
            var text = text
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            return .sha256(Self.hex(hasher.finalize()))
        }
    }

    package enum Rendered: Sendable, Equatable {
        case sha256(String)
        /// Canonical JSON text.
        case full(String)
    }

    package func canonical(_ node: JSONNode) -> String {
        var out = ""
        append(node, to: &out)
        return out
    }

    private func append(_ node: JSONNode, to out: inout String) {
        switch node {
        case .object(let members):
            out += "{"
            let sorted = members.sorted { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out += "," }
                out += JSONNode.quoted(member.0) + ":"
                if isRedacted(member.0) { out += Self.redacted } else { append(member.1, to: &out) }
            }
            out += "}"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                append(item, to: &out)
            }
            out += "]"
        default:
            out += node.serialized
        }
    }

    private func isRedacted(_ key: String) -> Bool {
        guard !redactions.isEmpty else { return false }
        let lowered = key.lowercased()
        return redactions.contains { ToolPolicy.glob($0, matches: lowered) }
    }

    /// Lower-case hex, written in place from the digest's bytes (iterating the digest as a
    /// sequence cost 2,800 instructions for its 32 bytes).
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                let digits: StaticString = "0123456789abcdef"
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = digits.utf8Start[Int(byte >> 4)]
                    out[2 * index + 1] = digits.utf8Start[Int(byte & 15)]
                }
                return raw.count * 2
            }
        }
    }
}
