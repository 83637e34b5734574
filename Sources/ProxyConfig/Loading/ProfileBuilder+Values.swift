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
        var options = SigningOptions(algorithm: algorithm, encoding: encoding, timestampUnit: unit,
                                     keyIDHeader: keyHeader, signatureHeader: signatureHeader, timestampHeader: timestampHeader)
        guard let template = signingTemplate(options) else { return nil }
        options.template = template
        return options
    }

    /// `string_to_sign` and `headers`. Outer nil: invalid; `.some(nil)`: neither written (the
    /// auth-gateway scheme). Without `headers`, the three configured header names carry the key
    /// id, the timestamp and the signature.
    private mutating func signingTemplate(_ options: SigningOptions) -> SigningTemplate?? {
        let headersSource = written("signing.headers")
        guard let text = scalar("signing.string_to_sign") else {
            if let headersSource {
                report(headersSource, "`signing.headers` goes with `signing.string_to_sign`", fix: "add `string_to_sign:`, or remove `headers:` to keep the auth-gateway headers")
                return nil
            }
            return .some(nil)
        }
        let stringToSign: [SigningTemplate.Piece]
        switch SigningTemplate.parse(text.text) {
        case .success(let pieces): stringToSign = pieces
        case .failure(let problem):
            report(text.source, "`string_to_sign`: \(problem)")
            return nil
        }
        guard stringToSign.contains(where: { if case .placeholder = $0 { return true } else { return false } }) else {
            report(text.source, "`string_to_sign` has no placeholder: every request would carry the same signature", fix: "sign at least {method}, {path} and {timestamp}")
            return nil
        }
        guard !stringToSign.contains(.placeholder(.signature)) else {
            report(text.source, "`string_to_sign` cannot contain {signature}: the signature is computed over it", fix: "remove {signature}; put it in a header")
            return nil
        }
        var headers: [SigningTemplate.Header] = []
        if let headersSource {
            origins["signing.headers"] = headersSource.origin
            guard let node = headersSource.node, case .mapping(let pairs) = node.content, !pairs.isEmpty else {
                report(headersSource, "expected \(ConfigKey.Kind.headerTemplates.expectation), found \(headersSource.foundDescription)",
                       fix: "write `headers: {x-signature: \"{signature}\", x-timestamp: \"{timestamp}\"}`")
                return nil
            }
            for pair in pairs {
                let at = FieldSource(value: .node(pair.key), origin: Self.origin(headersSource.origin, pair.key.mark), keyPath: headersSource.keyPath)
                guard let rawName = pair.key.scalar, let value = pair.value.scalar else {
                    report(at, "each header is a name and a text", fix: "write `x-signature: \"{signature}\"`")
                    return nil
                }
                let name = rawName.lowercased()
                guard TokenRules.isHeaderName(name), !TokenRules.reservedHeaders.contains(name) else {
                    report(at, "\(quoted(rawName)) is not a header a signature can travel in", fix: "use a dedicated header such as x-signature")
                    return nil
                }
                guard !headers.contains(where: { $0.name == name }) else {
                    report(at, "the header \(quoted(rawName)) is written twice", fix: "keep one")
                    return nil
                }
                guard !value.contains("\r"), !value.contains("\n") else {
                    report(at, "the value of \(quoted(rawName)) has a line break, which a header cannot carry")
                    return nil
                }
                switch SigningTemplate.parse(value) {
                case .success(let pieces): headers.append(.init(name: name, value: pieces))
                case .failure(let problem):
                    report(at, "header \(quoted(rawName)): \(problem)")
                    return nil
                }
            }
        } else {
            headers = [.init(name: options.keyIDHeader, value: [.placeholder(.keyID)]),
                       .init(name: options.timestampHeader, value: [.placeholder(.timestamp)]),
                       .init(name: options.signatureHeader, value: [.placeholder(.signature)])]
        }
        guard headers.contains(where: { $0.value.contains(.placeholder(.signature)) }) else {
            report(headersSource ?? text.source, "no header carries {signature}: the upstream would never see it", fix: "add `x-signature: \"{signature}\"` under `headers:`")
            return nil
        }
        return .some(SigningTemplate(stringToSign: stringToSign, headers: headers))
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
