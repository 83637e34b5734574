/// The keys of config schema version 1, typed, in the order `check` prints them (see `ConfigKey`).
package enum SchemaKeys {
    package static let root = ["version", "defaults", "profiles", "admin", "audit", "otel"]

    /// The `otel:` block (see `OTelSettings`, docs/operations.md "Traces").
    package static let otelKeys: [ConfigKey] = [
        ConfigKey("endpoint", .url, "The OTLP/HTTP traces endpoint (protobuf), e.g. http://127.0.0.1:4318/v1/traces (required)."),
        ConfigKey("headers", .secretHeaders, "Header fields sent with each export, each value from {env: NAME} or {file: PATH}, e.g. {authorization: {env: OTEL_AUTH}}."),
        ConfigKey("sampling_ratio", .ratio, "The share of new traces recorded, 0 to 1 (default 1); a client's traceparent decides for its trace."),
        ConfigKey("service_name", .token, "The service.name resource attribute (default mcp-auth-proxy)."),
    ]
    package static let otel = otelKeys.names

    /// The `audit:` block (see `AuditSettings`, docs/operations.md "Audit trail").
    package static let auditKeys: [ConfigKey] = [
        ConfigKey("path", .filePath, "Where audit lines are appended (created 0600, reopened on SIGHUP and SIGUSR1), or stderr (required)."),
        ConfigKey("arguments", .choice(AuditSettings.Arguments.allCases.map(\.rawValue)), "A call's arguments in its line: omit, sha256 (default: a hash of their canonical form) or full."),
        ConfigKey("redact", .patterns, "Argument keys (globs with * and ?, any case) whose values are replaced before hashing or writing, e.g. [password, \"*secret*\"]."),
    ]
    package static let audit = auditKeys.names

    package static let signingKeys: [ConfigKey] = [
        ConfigKey("algorithm", .choice(SigningOptions.Algorithm.allCases.map(\.rawValue)), "The HMAC algorithm (default hmac-sha256)."),
        ConfigKey("encoding", .choice(SigningOptions.Encoding.allCases.map(\.rawValue)), "How the signature is written (default hex)."),
        ConfigKey("timestamp", .choice(SigningOptions.TimestampUnit.allCases.map(\.rawValue)), "Timestamp unit: unix seconds (default) or unix-ms."),
        ConfigKey("key_id_header", .headerName, "The header carrying the key id (default x-api-key-id)."),
        ConfigKey("signature_header", .headerName, "The header carrying the signature (default x-signature)."),
        ConfigKey("timestamp_header", .headerName, "The header carrying the timestamp (default x-timestamp)."),
        ConfigKey("string_to_sign", .template, "Your gateway's string to sign, e.g. \"{method}\\n{path}\\n{timestamp}\\n{nonce}\\n{body_sha256}\" (default: the auth-gateway string)."),
        ConfigKey("headers", .headerTemplates, "With string_to_sign: the headers to send, e.g. {x-signature: \"{signature}\", x-nonce: \"{nonce}\"}."),
    ]

    /// The `oauth:` block of `auth_scheme: oauth` (see `OAuthSettings`, docs/oauth.md).
    package static let oauthKeys: [ConfigKey] = [
        ConfigKey("grant", .choice(OAuthSettings.Grant.allCases.map(\.rawValue)), "authorization_code (default: `mcp-auth-proxy login` once), client_credentials (a confidential client, no login), or token_exchange (each client_auth: oauth client's token exchanged, RFC 8693)."),
        ConfigKey("client_id", .token, "A client registered by hand; else a client ID metadata document, else dynamic registration."),
        ConfigKey("client_metadata_url", .url, "The https URL where you host this client's ID metadata document (`mcp-auth-proxy oauth client-metadata`)."),
        ConfigKey("client_secret_env", .environmentName, "The environment variable holding the client secret (confidential clients; one of the three sources)."),
        ConfigKey("client_secret_file", .filePath, "A file holding the client secret, readable only by its owner."),
        ConfigKey("client_secret_command", .command, "A program and its arguments whose stdout is the client secret, run without a shell."),
        ConfigKey("scopes", .scopes, "The scopes to ask for; default: the server's challenge, else its scopes_supported."),
        ConfigKey("issuer", .url, "The authorization server to use, skipping discovery through the upstream."),
        ConfigKey("resource", .token, "The RFC 8707 resource: auto (the upstream URL, default), none (servers that reject it), or a URI."),
        ConfigKey("extra_authorize_params", .parameters, "Extra parameters of the authorization request, e.g. {prompt: consent}."),
        ConfigKey("redirect_port", .redirectPort, "The port of the loopback redirect during login; 0 (default): any free port."),
        ConfigKey("token_file", .filePath, "Where tokens are kept (default $XDG_STATE_HOME/mcp-auth-proxy/oauth/<profile>.json); written 0600."),
    ]

    /// The `client_oauth:` block of `client_auth: oauth` (see `ClientOAuthSettings`, docs/oauth.md).
    package static let clientOAuthKeys: [ConfigKey] = [
        ConfigKey("issuer", .url, "The identity provider's issuer (required): tokens must carry exactly this iss; its metadata names the JWKS."),
        ConfigKey("audience", .url, "The URL clients use for this listener (required): tokens' aud must contain it (RFC 8707)."),
        ConfigKey("jwks_uri", .url, "The JWKS to verify tokens with, instead of the one the issuer's metadata names."),
        ConfigKey("required_scopes", .scopes, "Scopes every token must carry; without one, 403 insufficient_scope."),
        ConfigKey("client_name_claim", .token, "The claim that names a client in logs and metrics (default sub)."),
        ConfigKey("algorithms", .algorithms(ClientOAuthSettings.Algorithm.allCases.map(\.rawValue)), "The JWS algorithms accepted (default [RS256, ES256]); never none or HMAC."),
        ConfigKey("clock_skew", .duration, "Leeway for exp and nbf (default 60s)."),
        ConfigKey("jwks_refresh", .duration, "How often the JWKS is fetched again (default 5m; at once for an unknown kid, at most every 30s)."),
        ConfigKey("introspection_client_id", .token, "Opaque tokens: the client that asks the identity provider's RFC 7662 introspection endpoint (off without it)."),
        ConfigKey("introspection_endpoint", .url, "The introspection endpoint, instead of the one the issuer's metadata names."),
        ConfigKey("introspection_client_secret_env", .environmentName, "The environment variable holding the introspection client's secret."),
        ConfigKey("introspection_client_secret_file", .filePath, "A file holding the introspection client's secret, readable only by its owner."),
        ConfigKey("introspection_client_secret_command", .command, "A program whose stdout is the introspection client's secret, run without a shell."),
    ]

    /// The `jwt:` block of `auth_scheme: jwt` (see `JWTAssertionSettings`, docs/signing.md).
    package static let jwtKeys: [ConfigKey] = [
        ConfigKey("algorithm", .choice(JWTAssertionSettings.Algorithm.allCases.map(\.rawValue)), "The signature algorithm: RS256, ES256 (default) or EdDSA."),
        ConfigKey("private_key_env", .environmentName, "The environment variable holding the private key (PEM; one of the three sources)."),
        ConfigKey("private_key_file", .filePath, "A file holding the private key (PEM), readable only by its owner."),
        ConfigKey("private_key_command", .command, "A program and its arguments whose stdout is the private key (PEM), run without a shell."),
        ConfigKey("key_id", .token, "The kid header, for verifiers that pick keys by id."),
        ConfigKey("issuer", .token, "The iss claim (required)."),
        ConfigKey("subject", .token, "The sub claim (default: the issuer)."),
        ConfigKey("audience", .token, "The aud claim (default: the upstream URL)."),
        ConfigKey("lifetime", .duration, "How long each token is valid (default 60s)."),
        ConfigKey("claims", .parameters, "Extra claims, e.g. {tenant: acme}; iss, sub, aud, iat, exp, nbf and jti are the proxy's."),
        ConfigKey("per_request", .boolean, "A fresh token (and jti) for every request (default false: one reused until shortly before it expires)."),
        ConfigKey("header", .headerName, "Where the token goes: authorization (default, as Bearer) or another header carrying the bare token."),
    ]

    /// The `aws:` block of `auth_scheme: aws-sigv4` (see `AWSSigningSettings`, docs/signing.md).
    package static let awsKeys: [ConfigKey] = [
        ConfigKey("region", .token, "The region the upstream runs in, e.g. us-east-1 (required)."),
        ConfigKey("service", .token, "The service's signing name, e.g. execute-api, lambda, bedrock-agentcore (required)."),
        ConfigKey("credentials", .token, "Where the access key comes from: env (default), profile:NAME, command, container or web_identity."),
        ConfigKey("credentials_command", .command, "With credentials: command, a program printing the credential_process JSON, run without a shell."),
    ]

    /// The `rate_limit:` block (see `RateLimitSettings`, docs/behaviour.md "Rate limits").
    package static let rateLimitKeys: [ConfigKey] = [
        ConfigKey("per_client", .rate, "Each client's limit, e.g. {requests: 600, per: 1m, burst: 60}: by client token, OAuth subject, or remote address without client_auth."),
        ConfigKey("per_profile", .rate, "The whole profile's limit, e.g. {requests: 5000, per: 1m}; burst defaults to requests."),
        ConfigKey("tools_call_only", .boolean, "Count only tools/call requests (default false: every request forwarded upstream)."),
    ]

    package static let profileKeys: [ConfigKey] = [
        ConfigKey("upstream_url", .url, "The upstream MCP endpoint, https://host[:port]/path (required; no query, no credentials)."),
        ConfigKey("auth_scheme", .choice(Profile.AuthScheme.allCases.map(\.rawValue)), "How the proxy authenticates to the upstream (default auth-gateway)."),
        ConfigKey("auth_header", .headerName, "The header that carries the secret under `auth_scheme: header`, e.g. x-api-key."),
        ConfigKey("key_id", .token, "The auth-gateway key id (required for auth-gateway, an error with other schemes)."),
        ConfigKey("secret_env", .environmentName, "The environment variable holding the secret (one of secret_env, secret_file, secret_command)."),
        ConfigKey("secret_file", .filePath, "A file holding the secret, readable only by its owner; trailing newlines are removed."),
        ConfigKey("secret_command", .command, "A program and its arguments whose stdout is the secret, run without a shell."),
        ConfigKey("secret_command_timeout", .duration, "How long secret_command may run before it is killed (default 10s)."),
        ConfigKey("secret_command_env", .environmentNames, "Variables passed to secret_command besides PATH and HOME."),
        ConfigKey("listen_host", .listenHost, "The address to listen on (default 127.0.0.1); a non-loopback one needs allow_remote: true."),
        ConfigKey("listen_port", .port, "The port to listen on, unique among the profiles served (required unless listen_unix)."),
        ConfigKey("listen_unix", .filePath, "A Unix-domain socket path to listen on instead of listen_host and listen_port; a stale socket file is replaced."),
        ConfigKey("listen_unix_mode", .fileMode, "The socket file's permission bits (default 0600: its owner only)."),
        ConfigKey("tls_cert_file", .filePath, "A certificate (PEM, chain after the leaf) for TLS on the listener: clients then use https://; needs tls_key_file."),
        ConfigKey("tls_key_file", .filePath, "The private key (PEM) of tls_cert_file; keep it readable by its owner only."),
        ConfigKey("allow_remote", .boolean, "Must be true to listen on a non-loopback address (default false); then client_auth must be chosen."),
        ConfigKey("client_auth", .choice(ClientAuth.Mode.allCases.map(\.rawValue)), "Who may use the listener: none (anyone who reaches it, the default), bearer (clients with a token) or oauth (access tokens from your identity provider)."),
        ConfigKey("client_tokens", .clientTokens, "The clients of `client_auth: bearer`: a name (for logs) and token_env or token_file each; tokens of 32+ bytes."),
        ConfigKey("client_oauth", .mapping(clientOAuthKeys), "How `client_auth: oauth` checks clients' access tokens (docs/oauth.md)."),
        ConfigKey("allow_insecure_upstream", .boolean, "Must be true for plain http to a non-loopback upstream (default false)."),
        ConfigKey("mcp_path", .mcpPath, "The local path of the MCP endpoint (default /mcp)."),
        ConfigKey("heartbeat_interval", .duration, "Interval of SSE heartbeats (default 15s)."),
        ConfigKey("connect_timeout", .duration, "Time allowed to connect to the upstream (default 5s)."),
        ConfigKey("request_timeout", .duration, "Time allowed for a whole upstream exchange; SSE streams are exempt (default 300s)."),
        ConfigKey("max_request_body", .size, "The largest request body accepted (default 4MiB)."),
        ConfigKey("max_upstream_connections", .count(maximum: Profile.upstreamConnectionsLimit),
                  "The stdio bridge's bound on requests in flight to the upstream, each on its own connection; more wait their turn (default 32)."),
        ConfigKey("allowed_origins", .origins, "Browser origins allowed besides loopback ones, as scheme://host[:port]."),
        ConfigKey("upstream_streaming", .choice(Profile.UpstreamStreaming.allCases.map(\.rawValue)), "Whether GET streams are forwarded (default auto: forward, local heartbeat on 405)."),
        ConfigKey("ca_file", .filePath, "Extra trusted CA certificates (PEM) for the upstream's TLS."),
        ConfigKey("client_cert_file", .filePath, "A client certificate (PEM) for mutual TLS to an https upstream; needs client_key_file."),
        ConfigKey("client_key_file", .filePath, "The private key (PEM) of client_cert_file."),
        ConfigKey("tools", .toolPolicy, "Which tools the profile may call: allow and deny lists of glob patterns (* and ?), deny wins; by_scope for client_auth: oauth."),
        ConfigKey("signing", .mapping(signingKeys), "How the auth-gateway signature is computed and carried."),
        ConfigKey("oauth", .mapping(oauthKeys), "How the OAuth 2.1 access token of `auth_scheme: oauth` is obtained (docs/oauth.md)."),
        ConfigKey("jwt", .mapping(jwtKeys), "The signed JWT of `auth_scheme: jwt` (docs/signing.md)."),
        ConfigKey("aws", .mapping(awsKeys), "The region, service and credentials of `auth_scheme: aws-sigv4` (docs/signing.md)."),
        ConfigKey("rate_limit", .mapping(rateLimitKeys), "Token-bucket limits per client and per profile; over them, 429 with Retry-After (docs/behaviour.md)."),
    ]

    /// The `admin:` block (see `AdminSettings`): the listener keys of a profile.
    package static let adminKeys: [ConfigKey] = ["listen_host", "listen_port", "allow_remote"].compactMap { profileKeys[named: $0] }

    package static let admin = adminKeys.names
    package static let profile = profileKeys.names
    /// `defaults:` takes every profile key but the upstream: two profiles never share an upstream by accident.
    package static let defaults = profile.filter { $0 != "upstream_url" }
    package static let signing = signingKeys.names
    package static let oauth = oauthKeys.names
    package static let clientOAuth = clientOAuthKeys.names
    package static let jwt = jwtKeys.names
    package static let aws = awsKeys.names
    package static let rateLimit = rateLimitKeys.names
    /// Nested blocks whose keys the loader flattens to `block.key` fields.
    package static let nestedBlocks: [(name: String, keys: [String])] = [("signing", signing), ("oauth", oauth), ("client_oauth", clientOAuth), ("jwt", jwt), ("aws", aws), ("rate_limit", rateLimit)]

    /// The typed key behind a builder field name (`signing.algorithm` for nested keys).
    static func key(_ field: String) -> ConfigKey? {
        if field.hasPrefix("signing.") { return signingKeys[named: String(field.dropFirst("signing.".count))] }
        if field.hasPrefix("oauth.") { return oauthKeys[named: String(field.dropFirst("oauth.".count))] }
        if field.hasPrefix("client_oauth.") { return clientOAuthKeys[named: String(field.dropFirst("client_oauth.".count))] }
        if field.hasPrefix("jwt.") { return jwtKeys[named: String(field.dropFirst("jwt.".count))] }
        if field.hasPrefix("aws.") { return awsKeys[named: String(field.dropFirst("aws.".count))] }
        if field.hasPrefix("otel.") { return otelKeys[named: String(field.dropFirst("otel.".count))] }
        if field.hasPrefix("audit.") { return auditKeys[named: String(field.dropFirst("audit.".count))] }
        if field.hasPrefix("rate_limit.") { return rateLimitKeys[named: String(field.dropFirst("rate_limit.".count))] }
        return profileKeys[named: field]
    }

    /// Keys people reach for to put a secret inline; they get a pointed message instead of "unknown key".
    static let inlineSecretKeys: Set<String> = ["secret", "api_secret", "secret_key", "api_key_secret", "password"]

    /// Profile names: `[a-z0-9][a-z0-9_-]{0,62}`.
    package static let profileNamePattern = "^[a-z0-9][a-z0-9_-]{0,62}$"

    package static func isValidProfileName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func isLowerAlnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return isLowerAlnum(first) && name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "_" || $0 == "-" }
    }

    /// `MCP_<N>_` with N the profile name upper-cased and `-` turned into `_`.
    package static func environmentPrefix(forProfile name: String) -> String {
        "MCP_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 }) + "_"
    }

    /// Environment variable suffixes that override a profile key.
    package static let environmentOverrides: [(suffix: String, key: String)] = [
        ("UPSTREAM_URL", "upstream_url"), ("API_KEY", "key_id"), ("API_SECRET", "secret"),
        ("LISTEN_HOST", "listen_host"), ("LISTEN_PORT", "listen_port"),
    ]
}
