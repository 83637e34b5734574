#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The profile keys whose checks go beyond their type.
extension ProfileBuilder {
    mutating func upstreamURL() -> UpstreamURL? {
        guard let value = scalar("upstream_url") else {
            missing("upstream_url", fix: "add `upstream_url: https://mcp.example.com/mcp`")
            return nil
        }
        switch UpstreamURL.parse(value.text) {
        case .success(let url): return url
        case .failure(let problem):
            report(value.source, problem.message, fix: "write the upstream MCP endpoint as https://host[:port]/path")
            return nil
        }
    }

    mutating func listenHostValue() -> String? {
        guard let value = scalar("listen_host") else { return recordDefault("listen_host", "127.0.0.1") }
        var host = value.text.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard host == "localhost" || HostName.ipv4Octets(host) != nil || HostName.isIPv6Literal(host) else {
            report(value.source, "\(quoted(value.text)) is not an IP address or `localhost`",
                   fix: "use 127.0.0.1 (the default), ::1, or an interface address such as 0.0.0.0 with `allow_remote: true`")
            return nil
        }
        return host
    }

    mutating func mcpPathValue() -> String? {
        guard let value = scalar("mcp_path") else { return recordDefault("mcp_path", "/mcp") }
        var path = value.text
        let segments = path.split(separator: "/")
        guard path.hasPrefix("/"), TokenRules.isVisibleASCII(path), !path.contains("?"), !path.contains("#"), !path.contains("%"),
              !segments.contains(where: { $0 == "." || $0 == ".." }), !path.hasPrefix("/.well-known") else {
            report(value.source, "\(quoted(value.text)) is not a usable MCP path",
                   fix: "write an absolute path such as /mcp: no query, no percent-encoding, no `.` or `..`, not under /.well-known")
            return nil
        }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    mutating func allowedOrigins() -> [String]? {
        guard let source = fields["allowed_origins"], let node = source.node, !node.isNull else {
            return recordDefault("allowed_origins", [])
        }
        origins["allowed_origins"] = source.origin
        guard case .sequence(let items) = node.content else {
            report(source, "expected \(ConfigKey.Kind.origins.expectation), found \(node.kindDescription)", fix: "write `allowed_origins: [\"https://app.example.com\"]`")
            return nil
        }
        var result: [String] = []
        var valid = true
        for item in items {
            let itemSource = FieldSource(value: .node(item), origin: Self.origin(source.origin, item.mark), keyPath: source.keyPath)
            guard let text = item.scalar, !item.isNull else {
                report(itemSource, "expected an origin string, found \(item.kindDescription)")
                valid = false
                continue
            }
            guard let origin = Self.normalizedOrigin(text) else {
                report(itemSource, "\(quoted(text)) is not an origin", fix: "write scheme://host[:port] with no path, e.g. https://app.example.com")
                valid = false
                continue
            }
            result.append(origin)
        }
        return valid ? result : nil
    }

    /// `scheme://host[:port]`, lower-cased; nil when the text has a path, query, credentials or a bad host.
    static func normalizedOrigin(_ text: String) -> String? {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        let scheme = text[..<colon].lowercased()
        let isSchemeCharacter: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
        guard !scheme.isEmpty, scheme.allSatisfy(isSchemeCharacter) else { return nil }
        var authority = String(text[text.index(colon, offsetBy: 3)...])
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.contains("/"), !authority.contains("@"), HostName.splitAuthority(authority, defaultPort: 0) != nil else { return nil }
        return "\(scheme)://\(authority.lowercased())"
    }

    static func origin(_ base: ConfigOrigin, _ mark: SourceMark) -> ConfigOrigin {
        if case .file(let path, _) = base { return .file(path: path, mark: mark) }
        return base
    }

    /// `.some(nil)` when absent, nil when present but unusable.
    mutating func readableFile(_ key: String) -> String?? {
        guard let value = scalar(key) else { return .some(nil) }
        guard FileManager.default.isReadableFile(atPath: value.text) else {
            report(value.source, "cannot read \(quoted(value.text))", fix: "give a path to an existing, readable PEM file")
            return nil
        }
        return .some(value.text)
    }

    mutating func signingOptions() -> SigningOptions? {
        let defaults = SigningOptions()
        let algorithm = choice("signing.algorithm", default: defaults.algorithm)
        let encoding = choice("signing.encoding", default: defaults.encoding)
        let unit = choice("signing.timestamp", default: defaults.timestampUnit)
        let keyHeader = headerName("signing.key_id_header", default: defaults.keyIDHeader)
        let signatureHeader = headerName("signing.signature_header", default: defaults.signatureHeader)
        let timestampHeader = headerName("signing.timestamp_header", default: defaults.timestampHeader)
        guard let algorithm, let encoding, let unit, let keyHeader, let signatureHeader, let timestampHeader else { return nil }
        guard Set([keyHeader, signatureHeader, timestampHeader]).count == 3 else {
            report(fields["signing.signature_header"] ?? fields["signing.key_id_header"] ?? fields["signing.timestamp_header"],
                   "the key id, signature and timestamp headers must be three different headers")
            return nil
        }
        return SigningOptions(algorithm: algorithm, encoding: encoding, timestampUnit: unit,
                              keyIDHeader: keyHeader, signatureHeader: signatureHeader, timestampHeader: timestampHeader)
    }

    mutating func headerName(_ key: String, default fallback: String) -> String? {
        guard let value = scalar(key) else { return recordDefault(key, fallback) }
        let lower = value.text.lowercased()
        guard TokenRules.isHeaderName(lower) else {
            report(value.source, "\(quoted(value.text)) is not a valid header name", fix: "use letters, digits and `-` only, e.g. x-signature")
            return nil
        }
        guard !TokenRules.reservedHeaders.contains(lower) else {
            report(value.source, "\(quoted(value.text)) is a header the proxy or MCP needs for itself", fix: "pick a dedicated header such as x-signature")
            return nil
        }
        return lower
    }
}
