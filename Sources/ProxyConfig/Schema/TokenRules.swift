/// Character rules for values that end up in HTTP header lines.
enum TokenRules {
    /// Visible ASCII without spaces: safe to put in a header value as is.
    static func isVisibleASCII(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// An OAuth scope token (RFC 6749 §3.3), without `"` and `\\` so it fits a challenge's quoted string.
    static func isScope(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }

    /// The characters of an RFC 9110 token besides letters and digits.
    static let headerNameSymbols = "!#$%&'*+-.^_`|~"

    /// An HTTP field name (RFC 9110 token).
    static func isHeaderName(_ text: String) -> Bool {
        let extra = Set(headerNameSymbols.utf8)
        return !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || extra.contains(byte)
        }
    }

    /// Headers the proxy must own itself, so they cannot carry the signature.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "content-type", "accept", "mcp-session-id", "mcp-protocol-version",
    ]
}
