/// `client_auth` and `client_tokens`: who may use the listener. A listener open to the network
/// (`allow_remote: true`) must say so deliberately, and tokens follow the secrets' rules (from the
/// environment or a file, never the config text, never printed).
extension ProfileBuilder {
    mutating func clientAuthValue(allowRemote: Bool?, listenHost: String?) -> ClientAuth? {
        let mode = choice("client_auth", default: ClientAuth.Mode.none)
        if allowRemote == true {
            if written("client_auth") == nil {
                report(fields["allow_remote"], "`allow_remote: true` needs `client_auth` chosen deliberately: anyone who can reach the port could use your key",
                       fix: "add `client_auth: bearer` with `client_tokens` (or `client_auth: oauth` with `client_oauth:`), or write `client_auth: none` to accept every client that can connect")
                return nil
            }
            if mode == ClientAuth.Mode.none {
                report(fields["client_auth"], "`client_auth: none` with `allow_remote: true`: anyone who can reach \(listenHost ?? "the listener") can use this profile's key",
                       fix: "use `client_auth: bearer` with `client_tokens` unless the network path is trusted", severity: .warning)
            }
        }
        let tokensSource = written("client_tokens")
        guard let mode else { return nil }
        if mode != .oauth { rejectClientOAuthKeys(mode: mode) }
        switch mode {
        case .oauth:
            if let tokensSource {
                report(tokensSource, "`client_tokens` belong to `client_auth: bearer`, and this profile uses client_auth: oauth",
                       fix: "remove `client_tokens`: under oauth, clients bring tokens from the identity provider")
                return nil
            }
            return clientOAuthSettings().map(ClientAuth.oauth)
        case .none:
            if let tokensSource, written("client_auth") != nil || allowRemote == true {
                report(tokensSource, "`client_tokens` belong to `client_auth: bearer`, and this profile uses client_auth: none",
                       fix: "set `client_auth: bearer`, or remove `client_tokens`")
                return nil
            }
            return ClientAuth.none
        case .bearer:
            guard let tokensSource else {
                missing("client_tokens", fix: "add `client_tokens:` with `- name: laptop` and `token_env: LAPTOP_MCP_TOKEN` (or `token_file:`) under it")
                return nil
            }
            guard let tokens = clientTokens(tokensSource) else { return nil }
            return ClientAuth.bearer(tokens)
        }
    }

    private mutating func rejectClientOAuthKeys(mode: ClientAuth.Mode) {
        guard let key = fields.keys.filter({ $0.hasPrefix("client_oauth.") }).sorted().first, let source = written(key) else { return }
        report(source, "`client_oauth:` belongs to `client_auth: oauth`, and this profile uses client_auth: \(mode.rawValue)",
               fix: "remove `client_oauth:`, or set `client_auth: oauth`")
    }

    /// The `client_oauth:` block; nil when a key is invalid (each reported at its key).
    private mutating func clientOAuthSettings() -> ClientOAuthSettings? {
        let errorsBefore = diagnostics.errors.count
        let issuer = httpsURL("client_oauth.issuer", required: true, fix: "write the identity provider's issuer, e.g. https://idp.example.com/realms/team")
        let audience = httpsURL("client_oauth.audience", required: true, fix: "write the URL your clients use for this listener, e.g. https://mcp.example.com/mcp")
        let jwksURI = httpsURL("client_oauth.jwks_uri", required: false, fix: "write the https URL of the identity provider's JWKS, or remove it to use the issuer's metadata")
        guard let issuer, let audience, diagnostics.errors.count == errorsBefore else { return nil }
        var settings = ClientOAuthSettings(issuer: issuer, audience: audience)
        settings.jwksURI = jwksURI
        if let scopes = scopeList("client_oauth.required_scopes") { settings.requiredScopes = scopes } else { _ = recordDefault("client_oauth.required_scopes", 0) }
        if let claim = text("client_oauth.client_name_claim", required: false, check: { !$0.isEmpty && $0.utf8.count <= 64 && !$0.contains(".") },
                            problem: "is not a claim name", fix: "write a top-level claim of the token, e.g. preferred_username, email or sub") {
            settings.clientNameClaim = claim
        } else {
            _ = recordDefault("client_oauth.client_name_claim", 0)
        }
        if let algorithms = algorithmList() { settings.algorithms = algorithms } else { _ = recordDefault("client_oauth.algorithms", 0) }
        if let skew = duration("client_oauth.clock_skew", default: .seconds(60)) {
            if skew > .seconds(600), let source = written("client_oauth.clock_skew") {
                report(source, "a clock skew of \(skew) would accept tokens expired that long ago", fix: "keep it at 10m or less; 60s is usual")
            }
            settings.clockSkew = skew
        }
        if let refresh = duration("client_oauth.jwks_refresh", default: .seconds(300)) {
            if refresh < .seconds(1), let source = written("client_oauth.jwks_refresh") {
                report(source, "fetching the JWKS more than once a second would hammer the identity provider", fix: "write 1s or more; 5m is usual")
            }
            settings.jwksRefresh = refresh
        }
        let introspectionEndpoint = httpsURL("client_oauth.introspection_endpoint", required: false, fix: "write the https URL of the introspection endpoint")
        if let clientID = text("client_oauth.introspection_client_id", required: false, check: TokenRules.isVisibleASCII,
                               problem: "is not a client id", fix: "write the client id the identity provider issued for introspection") {
            let secret = isSelected ? secretValue(.introspectionClient, required: false) : nil
            settings.introspection = .init(endpoint: introspectionEndpoint, clientID: clientID, clientSecret: secret)
        } else if let key = ["client_oauth.introspection_endpoint", "client_oauth.introspection_client_secret_env",
                             "client_oauth.introspection_client_secret_file", "client_oauth.introspection_client_secret_command"].first(where: { written($0) != nil }),
                  let source = written(key) {
            report(source, "introspection needs `introspection_client_id`: the endpoint answers only a client it knows",
                   fix: "add `introspection_client_id:` (and its secret) under `client_oauth:`")
        }
        return diagnostics.errors.count == errorsBefore ? settings : nil
    }

    /// An https URL (plain http only to loopback, for tests and local identity providers).
    private mutating func httpsURL(_ key: String, required: Bool, fix: String) -> String? {
        guard let value = scalar(key) else {
            if required { missing(key, fix: fix) }
            return nil
        }
        guard case .success(let url) = UpstreamURL.parse(value.text), !value.text.contains("#"), !value.text.contains("?") else {
            report(value.source, "\(quoted(value.text)) is not an http(s) URL", fix: fix)
            return nil
        }
        guard url.scheme == .https || url.isLoopback else {
            report(value.source, "\(quoted(value.text)) is plain http to a non-loopback host", fix: "use https://")
            return nil
        }
        return value.text
    }

    /// `algorithms: [RS256, ES256]`: asymmetric JWS algorithms only, each with the fix for the
    /// two that must never be accepted.
    private mutating func algorithmList() -> [ClientOAuthSettings.Algorithm]? {
        guard let source = written("client_oauth.algorithms"), let node = source.node else { return nil }
        origins["client_oauth.algorithms"] = source.origin
        let names: [String]
        switch node.content {
        case .sequence(let items): names = items.map { $0.scalar ?? "" }
        default: names = node.scalar.map { [$0] } ?? []
        }
        let options = ClientOAuthSettings.Algorithm.allCases.map(\.rawValue).joined(separator: ", ")
        guard !names.isEmpty else {
            report(source, "expected a list of algorithms", fix: "write `algorithms: [RS256, ES256]`")
            return nil
        }
        var algorithms: [ClientOAuthSettings.Algorithm] = []
        for name in names {
            guard let algorithm = ClientOAuthSettings.Algorithm(rawValue: name) else {
                if name.lowercased() == "none" {
                    report(source, "`none` would accept unsigned tokens: anyone could write one", fix: "choose from \(options)")
                } else if name.uppercased().hasPrefix("HS") {
                    report(source, "\(quoted(name)) is an HMAC algorithm: its key would be the public JWKS key (algorithm confusion)", fix: "choose from \(options)")
                } else {
                    report(source, "\(quoted(name)) is not a supported algorithm", fix: "choose from \(options)")
                }
                return nil
            }
            if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
        }
        return algorithms
    }

    private mutating func clientTokens(_ source: FieldSource) -> [ClientToken]? {
        origins["client_tokens"] = source.origin
        guard let node = source.node, case .sequence(let items) = node.content, !items.isEmpty else {
            report(source, "expected \(ConfigKey.Kind.clientTokens.expectation), found \(source.foundDescription)",
                   fix: "write each client as `- name: laptop` with `token_env: VARIABLE` or `token_file: PATH` indented under it")
            return nil
        }
        var tokens: [ClientToken] = []
        var valid = true
        var names: [String: SourceMark] = [:]
        for item in items {
            let at = FieldSource(value: .node(item), origin: Self.origin(source.origin, item.mark), keyPath: source.keyPath)
            guard let token = clientToken(item, at: at) else { valid = false; continue }
            if let first = names[token.name] {
                report(at, "duplicate client name \(quoted(token.name)); first used at line \(first.line)", fix: "give each client its own name")
                valid = false
                continue
            }
            names[token.name] = item.mark
            if isSelected, tokens.contains(where: { $0.token.bytes == token.token.bytes }) {
                report(at, "client \(quoted(token.name)) has the same token as another client", fix: "give each client its own token, so that one can be revoked alone")
                valid = false
                continue
            }
            tokens.append(token)
        }
        return valid ? tokens : nil
    }

    private mutating func clientToken(_ item: YAMLNode, at source: FieldSource) -> ClientToken? {
        guard case .mapping(let entries) = item.content else {
            report(source, "expected a client (`name` and `token_env` or `token_file`), found \(item.kindDescription)")
            return nil
        }
        var values: [String: (text: String, mark: SourceMark)] = [:]
        for entry in entries {
            let keySource = FieldSource(value: .node(entry.key), origin: Self.origin(source.origin, entry.key.mark), keyPath: source.keyPath)
            guard let key = entry.key.scalar, ["name", "token_env", "token_file"].contains(key) else {
                if entry.key.scalar == "token" {
                    report(keySource, "tokens are never written in a config file", fix: "use `token_env: VARIABLE` or `token_file: PATH`")
                    return nil
                }
                let fix = entry.key.scalar.flatMap { Suggestion.closest(to: $0, among: ["name", "token_env", "token_file"]) }.map { "did you mean `\($0)`?" }
                report(keySource, "unknown key \(quoted(entry.key.scalar ?? "?")) in a client token; a client has name, token_env or token_file", fix: fix)
                return nil
            }
            guard let text = entry.value.scalar, !entry.value.isNull, !text.isEmpty else {
                report(keySource, "`\(key)` needs a value")
                return nil
            }
            values[key] = (text, entry.value.mark)
        }
        guard let name = values["name"] else {
            report(source, "a client token needs a `name` (it is what the logs show)", fix: "add `name: laptop`")
            return nil
        }
        let nameSource = FieldSource(value: .text(name.text), origin: Self.origin(source.origin, name.mark), keyPath: source.keyPath)
        guard ClientToken.isValidName(name.text) else {
            report(nameSource, "\(quoted(name.text)) is not a client name", fix: "use 1-64 letters, digits, `.`, `_` and `-`")
            return nil
        }
        let fromEnv = values["token_env"], fromFile = values["token_file"]
        guard (fromEnv == nil) != (fromFile == nil) else {
            report(nameSource, "client \(quoted(name.text)) needs exactly one of `token_env` and `token_file`",
                   fix: "keep one source for the token; generate a token with `openssl rand -hex 32`")
            return nil
        }
        guard isSelected else { return ClientToken(name: name.text, token: Secret(bytes: [], source: .none)) }
        let token: Secret
        let tokenSource: FieldSource
        if let fromEnv {
            tokenSource = FieldSource(value: .text(fromEnv.text), origin: Self.origin(source.origin, fromEnv.mark), keyPath: source.keyPath)
            guard let value = environment[fromEnv.text], !value.isEmpty else {
                report(tokenSource, "the environment variable \(fromEnv.text) of client \(quoted(name.text)) is \(environment[fromEnv.text] == nil ? "not set" : "empty")",
                       fix: "export \(fromEnv.text) with the client's token (e.g. from `openssl rand -hex 32`)")
                return nil
            }
            token = Secret(bytes: Array(value.utf8), source: .environment(variable: fromEnv.text))
        } else {
            let path = fromFile!.text
            tokenSource = FieldSource(value: .text(path), origin: Self.origin(source.origin, fromFile!.mark), keyPath: source.keyPath)
            guard let bytes = FileContents.readSecret(path) else {
                report(tokenSource, "cannot read the token file \(quoted(path)) of client \(quoted(name.text))", fix: "check that the file exists and this user may read it")
                return nil
            }
            warnIfShared(path, at: tokenSource, label: "token file")
            token = Secret(bytes: bytes, source: .file(path: path))
        }
        guard token.bytes.count >= ClientToken.minimumBytes else {
            report(tokenSource, "the token of client \(quoted(name.text)) is \(token.bytes.count) bytes; client tokens need at least \(ClientToken.minimumBytes)",
                   fix: "generate one with `openssl rand -hex 32` (64 characters)")
            return nil
        }
        guard token.bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            report(tokenSource, "the token of client \(quoted(name.text)) has spaces or non-ASCII bytes; it must fit in an Authorization header",
                   fix: "generate one with `openssl rand -hex 32`")
            return nil
        }
        return ClientToken(name: name.text, token: token)
    }
}
