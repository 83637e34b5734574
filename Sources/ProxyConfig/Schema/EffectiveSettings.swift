/// One line of `check`'s explanation: a key, its effective value as text, and where it came from.
package struct EffectiveSetting: Sendable, Codable, Equatable {
    package var key: String
    package var value: String
    package var origin: String

    package init(key: String, value: String, origin: String) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

extension Profile {
    /// Every effective value with its origin, in schema order. The secret appears only as its
    /// source and length: this is what `check` prints, and it must be safe to paste anywhere.
    package var effectiveSettings: [EffectiveSetting] {
        func origin(_ key: String) -> String { (origins[key] ?? .builtInDefault).description }
        var settings: [EffectiveSetting] = []
        func add(_ key: String, _ value: String, originKey: String? = nil) {
            settings.append(EffectiveSetting(key: key, value: value, origin: origin(originKey ?? key)))
        }
        add("upstream_url", upstream.description)
        add("auth_scheme", authScheme.rawValue)
        switch authScheme {
        case .authGateway:
            add("key_id", keyID)
        case .header:
            add("auth_header", authHeader ?? "")
        case .bearer, .none, .oauth, .jwt, .awsSigV4:
            break
        }
        if authScheme == .none {
            add("secret", "none (auth_scheme: none sends no credential)")
        } else if let jwt {
            add("jwt.algorithm", jwt.algorithm.rawValue)
            add("jwt.private_key", "\(jwt.privateKey.source) (\(jwt.privateKey.bytes.count) bytes, value hidden)")
            add("jwt.key_id", jwt.keyID ?? "(none)")
            add("jwt.issuer", jwt.issuer)
            add("jwt.subject", jwt.subject)
            add("jwt.audience", jwt.audience)
            add("jwt.lifetime", jwt.lifetime.description)
            add("jwt.claims", jwt.claims.isEmpty ? "(none)" : jwt.claims.map { "\($0.name)=\($0.json)" }.joined(separator: ", "))
            add("jwt.per_request", String(jwt.perRequest))
            add("jwt.header", jwt.header)
        } else if let aws {
            add("aws.region", aws.region)
            add("aws.service", aws.service)
            add("aws.credentials", aws.credentials.description)
        } else if let oauth {
            addOAuth(oauth, add)
        } else {
            add("secret", "\(secret.source) (\(secret.bytes.count) bytes, value hidden)")
        }
        if let listenUnix {
            add("listen_unix", listenUnix.path)
            add("listen_unix_mode", listenUnix.modeText)
        } else {
            add("listen_host", listenHost)
            add("listen_port", String(listenPort))
        }
        if let listenerTLS {
            add("tls_cert_file", "\(listenerTLS.certificateFile) (\(listenerTLS.subject); expires \(listenerTLS.expiry))")
            add("tls_key_file", listenerTLS.keyFile)
        }
        add("allow_remote", String(allowRemote))
        switch clientAuth {
        case .none:
            add("client_auth", "none")
        case .bearer(let tokens):
            add("client_auth", "bearer")
            add("client_tokens", tokens.map { "\($0.name) (\($0.token.source), \($0.token.bytes.count) bytes)" }.joined(separator: ", "))
        case .oauth(let oauth):
            add("client_auth", "oauth")
            add("client_oauth.issuer", oauth.issuer)
            add("client_oauth.audience", oauth.audience)
            add("client_oauth.jwks_uri", oauth.jwksURI ?? "(from the issuer's metadata)")
            add("client_oauth.required_scopes", "[" + oauth.requiredScopes.joined(separator: ", ") + "]")
            add("client_oauth.client_name_claim", oauth.clientNameClaim)
            add("client_oauth.algorithms", "[" + oauth.algorithms.map(\.rawValue).joined(separator: ", ") + "]")
            add("client_oauth.clock_skew", oauth.clockSkew.description)
            add("client_oauth.jwks_refresh", oauth.jwksRefresh.description)
            add("client_oauth.metadata", oauth.metadataURL, originKey: "client_oauth.audience")
            if let introspection = oauth.introspection {
                add("client_oauth.introspection_client_id", introspection.clientID)
                add("client_oauth.introspection_endpoint", introspection.endpoint ?? "(from the issuer's metadata)")
                add("client_oauth.introspection_client_secret", introspection.clientSecret.map { "\($0.source), \($0.bytes.count) bytes" } ?? "(none: a public client)")
            } else {
                add("client_oauth.introspection", "off (JWT access tokens only)", originKey: "client_oauth.introspection_client_id")
            }
        }
        add("allow_insecure_upstream", String(allowInsecureUpstream))
        add("mcp_path", mcpPath)
        add("heartbeat_interval", heartbeatInterval.description)
        add("connect_timeout", connectTimeout.description)
        add("request_timeout", requestTimeout.description)
        add("max_request_body", maxRequestBody.description)
        add("max_upstream_connections", String(maxUpstreamConnections))
        add("allowed_origins", "[" + allowedOrigins.joined(separator: ", ") + "]")
        add("upstream_streaming", upstreamStreaming.rawValue)
        add("ca_file", caFile ?? "(system trust store)")
        if let toolPolicy {
            add("tools.allow", toolPolicy.allow.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(every tool)", originKey: "tools")
            add("tools.deny", "[" + toolPolicy.deny.joined(separator: ", ") + "]", originKey: "tools")
            for rule in toolPolicy.byScope {
                let allow = rule.allow.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(the profile's allow)"
                add("tools.by_scope.\(rule.scope)", "allow \(allow), deny [" + rule.deny.joined(separator: ", ") + "]", originKey: "tools")
            }
        }
        if let rateLimit {
            add("rate_limit.per_client", rateLimit.perClient?.description ?? "(none)")
            add("rate_limit.per_profile", rateLimit.perProfile?.description ?? "(none)")
            add("rate_limit.tools_call_only", String(rateLimit.toolsCallOnly))
        }
        if let clientCertFile, let clientKeyFile {
            add("client_cert_file", clientCertFile)
            add("client_key_file", clientKeyFile)
        }
        guard authScheme == .authGateway else { return settings }
        add("signing.algorithm", signing.algorithm.rawValue)
        add("signing.encoding", signing.encoding.rawValue)
        add("signing.timestamp", signing.timestampUnit.rawValue)
        add("signing.key_id_header", signing.keyIDHeader)
        add("signing.signature_header", signing.signatureHeader)
        add("signing.timestamp_header", signing.timestampHeader)
        if let template = signing.template {
            add("signing.string_to_sign", SigningTemplate.text(template.stringToSign).debugEscaped)
            add("signing.headers", template.headers.map { "\($0.name): \(SigningTemplate.text($0.value))" }.joined(separator: ", "))
        }
        return settings
    }
}

extension Profile {
    /// The `oauth.*` lines of `check`: the settings only; the token's state is the OAuth layer's.
    private func addOAuth(_ oauth: OAuthSettings, _ add: (String, String, String?) -> Void) {
        add("oauth.grant", oauth.grant.rawValue, "oauth.grant")
        add("oauth.client_id", oauth.clientID ?? (oauth.clientMetadataURL.map { "(client ID metadata document \($0), else dynamic registration)" } ?? "(dynamic registration)"), "oauth.client_id")
        if let secret = oauth.clientSecret {
            add("oauth.client_secret", "\(secret.source) (\(secret.bytes.count) bytes, value hidden)", "oauth.client_secret")
        }
        add("oauth.scopes", oauth.scopes.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(the server's challenge, else scopes_supported)", "oauth.scopes")
        add("oauth.issuer", oauth.issuer ?? "(discovered from the upstream)", "oauth.issuer")
        switch oauth.resource {
        case .auto: add("oauth.resource", "auto (\(upstream.description))", "oauth.resource")
        case .none: add("oauth.resource", "none", "oauth.resource")
        case .uri(let uri): add("oauth.resource", uri, "oauth.resource")
        }
        if !oauth.extraAuthorizeParameters.isEmpty {
            add("oauth.extra_authorize_params", oauth.extraAuthorizeParameters.map { "\($0.key)=\($0.value)" }.joined(separator: " "), "oauth.extra_authorize_params")
        }
        add("oauth.redirect_port", oauth.redirectPort == 0 ? "0 (any free port)" : String(oauth.redirectPort), "oauth.redirect_port")
        add("oauth.token_file", oauth.tokenFile, "oauth.token_file")
    }
}
