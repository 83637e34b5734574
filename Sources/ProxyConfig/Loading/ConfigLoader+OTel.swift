/// The `otel:` block: found in at most one file; header values come from the environment or a
/// file, never the config text (they are a collector's credentials).
extension ConfigLoader {
    static func otelSettings(_ blocks: [RootBlock], environment: [String: String], into diagnostics: inout [Diagnostic]) -> OTelSettings? {
        guard let (fields, declaration) = singleBlock("otel", blocks, into: &diagnostics) else { return nil }
        var builder = ProfileBuilder(name: "otel", declaration: declaration, declarationPath: "otel", fields: fields, environment: environment)
        let endpoint = builder.otelEndpoint()
        let ratio = builder.parsed("otel.sampling_ratio", default: 1.0, parse: { text in Double(text).flatMap { (0...1).contains($0) ? $0 : nil } },
                                   problem: "is not a number from 0 to 1", fix: "write 1.0 to record every trace, 0.1 for one in ten, 0 for none")
        let serviceName = builder.text("otel.service_name", required: false, check: TokenRules.isVisibleASCII,
                                       problem: "is not a service name", fix: "use visible ASCII characters, no spaces") ?? "mcp-auth-proxy"
        let headers = builder.otelHeaders()
        diagnostics += builder.diagnostics
        guard builder.diagnostics.errors.isEmpty, let endpoint, let ratio, let headers else { return nil }
        return OTelSettings(endpoint: endpoint, headers: headers, samplingRatio: ratio, serviceName: serviceName)
    }
}

extension ProfileBuilder {
    mutating func otelEndpoint() -> String? {
        guard let value = scalar("otel.endpoint") else {
            missing("endpoint", fix: "add `endpoint: http://127.0.0.1:4318/v1/traces` (the collector's OTLP/HTTP traces URL) under `otel:`")
            return nil
        }
        guard case .success(let url) = UpstreamURL.parse(value.text) else {
            report(value.source, "\(quoted(value.text)) is not an http(s) URL", fix: "write the collector's URL, e.g. http://127.0.0.1:4318/v1/traces")
            return nil
        }
        if url.scheme == .http, !url.isLoopback {
            report(value.source, "plain http to the non-loopback collector \(url.host) would send traces (and the export headers) in the clear",
                   fix: "use https://, or run a collector on loopback", severity: .warning)
        }
        return value.text
    }

    /// `.some([])` when absent; nil when invalid.
    mutating func otelHeaders() -> [OTelSettings.Header]? {
        guard let source = written("otel.headers") else { return [] }
        guard let node = source.node, case .mapping(let entries) = node.content else {
            report(source, "expected \(ConfigKey.Kind.secretHeaders.expectation), found \(source.foundDescription)",
                   fix: "write `headers: {authorization: {env: OTEL_AUTH}}`")
            return nil
        }
        var headers: [OTelSettings.Header] = []
        for entry in entries {
            let at = FieldSource(value: .node(entry.value), origin: Self.origin(source.origin, entry.value.mark), keyPath: "otel.headers.\(entry.key.scalar ?? "?")")
            guard let name = entry.key.scalar, TokenRules.isHeaderName(name) else {
                report(at, "\(quoted(entry.key.scalar ?? "?")) is not a header name")
                return nil
            }
            guard case .mapping(let pairs) = entry.value.content, pairs.count == 1, let kind = pairs[0].key.scalar, let where_ = pairs[0].value.scalar,
                  kind == "env" || kind == "file" else {
                report(at, "the value of header \(quoted(name)) must be {env: NAME} or {file: PATH}; values are never written in the config",
                       fix: "write `\(name): {env: OTEL_AUTH}`")
                return nil
            }
            let bytes: [UInt8]?
            let secretSource: Secret.Source
            if kind == "env" {
                bytes = environment[where_].flatMap { $0.isEmpty ? nil : Array($0.utf8) }
                secretSource = .environment(variable: where_)
            } else {
                bytes = FileContents.readSecret(where_).flatMap { $0.isEmpty ? nil : $0 }
                secretSource = .file(path: where_)
            }
            guard let bytes else {
                report(at, kind == "env" ? "the environment variable \(where_) is not set or empty" : "cannot read the file \(quoted(where_)), or it is empty",
                       fix: kind == "env" ? "export \(where_) before starting the proxy" : "check that the file exists and this user may read it")
                return nil
            }
            // The rule every credential that becomes header bytes follows, secrets and tokens alike.
            if let problem = HeaderFieldValue.problem(in: bytes) {
                report(at, "the value of header \(quoted(name)) from \(secretSource) \(problem.description)", fix: problem.fix)
                return nil
            }
            if case .file(let path) = secretSource { warnIfShared(path, at: at, label: "header value file") }
            headers.append(OTelSettings.Header(name: name.lowercased(), value: Secret(bytes: bytes, source: secretSource)))
        }
        return headers
    }
}
