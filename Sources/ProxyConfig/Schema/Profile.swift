/// One fully validated profile: everything a listener needs, already typed and checked.
/// Nothing downstream of the loader sees YAML nodes or raw environment strings.
package struct Profile: Sendable {
    package enum UpstreamStreaming: String, Sendable, Hashable, CaseIterable {
        /// Forward GET; if the upstream answers 405, remember it and serve the local heartbeat.
        case auto
        case on
        case off
    }

    /// How the proxy authenticates to the upstream.
    package enum AuthScheme: String, Sendable, Hashable, CaseIterable {
        /// HMAC signature headers (key id, timestamp, signature), fresh per request.
        case authGateway = "auth-gateway"
        /// `Authorization: Bearer <secret>`.
        case bearer
        /// `<auth_header>: <secret>`.
        case header
        /// No credential (an upstream that needs none, or only TLS).
        case none
        /// `Authorization: Bearer <access token>`, the token obtained and refreshed by OAuth 2.1 (`oauth:`).
        case oauth
        /// A short-lived JWT signed with the profile's private key (`jwt:`).
        case jwt
        /// AWS Signature Version 4 for a region and service (`aws:`).
        case awsSigV4 = "aws-sigv4"
    }

    package internal(set) var name: String
    package internal(set) var upstream: UpstreamURL
    package internal(set) var authScheme: AuthScheme
    /// The header the `header` scheme writes (lower-case); nil for the other schemes.
    package internal(set) var authHeader: String?
    /// The key id of the `auth-gateway` scheme; empty for the others.
    package internal(set) var keyID: String
    package internal(set) var secret: Secret
    package internal(set) var listenHost: String
    package internal(set) var listenPort: Int
    package internal(set) var allowRemote: Bool
    package internal(set) var allowInsecureUpstream: Bool
    /// Local MCP endpoint path, without a trailing slash (except "/").
    package internal(set) var mcpPath: String
    package internal(set) var heartbeatInterval: ConfigDuration
    package internal(set) var connectTimeout: ConfigDuration
    package internal(set) var requestTimeout: ConfigDuration
    package internal(set) var maxRequestBody: ByteSize
    /// How many requests the stdio bridge has in flight to the upstream at once (each holds a
    /// connection); later ones queue in order. Notifications, responses, the GET stream and the
    /// final DELETE are not counted: a cancellation must never wait behind the calls it cancels.
    package internal(set) var maxUpstreamConnections = defaultUpstreamConnections
    package static let defaultUpstreamConnections = 32
    package static let upstreamConnectionsLimit = 4096
    /// Extra browser origins (`scheme://host[:port]`, lower-case) allowed besides loopback ones.
    package internal(set) var allowedOrigins: [String]
    package internal(set) var upstreamStreaming: UpstreamStreaming
    package internal(set) var caFile: String?
    /// A client certificate (PEM, leaf first) and its key, presented to an https upstream (mTLS).
    package internal(set) var clientCertFile: String?
    package internal(set) var clientKeyFile: String?
    package internal(set) var signing: SigningOptions
    /// A Unix-domain socket instead of `listenHost`/`listenPort` (which are then unused, port 0).
    package internal(set) var listenUnix: UnixListen?
    /// TLS on the listener; nil for plain HTTP.
    package internal(set) var listenerTLS: ListenerTLS?
    /// Which tools may be called; nil: no policy (nothing is parsed beyond the JSON-RPC check).
    package internal(set) var toolPolicy: ToolPolicy?
    /// `rate_limit:`; nil: no limits.
    package internal(set) var rateLimit: RateLimitSettings?
    /// The signed assertion's settings; set exactly when `authScheme` is `.jwt`.
    package internal(set) var jwt: JWTAssertionSettings?
    /// The SigV4 region, service and credential source; set exactly when `authScheme` is `.awsSigV4`.
    package internal(set) var aws: AWSSigningSettings?
    /// How the OAuth access token is obtained; set exactly when `authScheme` is `.oauth`.
    package internal(set) var oauth: OAuthSettings?
    /// Who may use the listener (inbound client authentication).
    package internal(set) var clientAuth: ClientAuth = .none
    /// Where each effective value came from, keyed by schema key (`signing.algorithm` for nested ones).
    package internal(set) var origins: [String: ConfigOrigin]

    /// Only the loader makes a profile (`ProfileBuilder`): a value of this type has passed every
    /// check, so nothing downstream re-checks it. Tests load theirs from YAML text too.
    init(
        name: String, upstream: UpstreamURL, keyID: String, secret: Secret,
        listenHost: String = "127.0.0.1", listenPort: Int, allowRemote: Bool = false,
        allowInsecureUpstream: Bool = false, mcpPath: String = "/mcp",
        heartbeatInterval: ConfigDuration = .seconds(15), connectTimeout: ConfigDuration = .seconds(5),
        requestTimeout: ConfigDuration = .seconds(300), maxRequestBody: ByteSize = ByteSize(bytes: 4 << 20),
        allowedOrigins: [String] = [], upstreamStreaming: UpstreamStreaming = .auto, caFile: String? = nil,
        signing: SigningOptions = SigningOptions(), origins: [String: ConfigOrigin] = [:],
        authScheme: AuthScheme = .authGateway, authHeader: String? = nil,
        clientCertFile: String? = nil, clientKeyFile: String? = nil
    ) {
        self.name = name
        self.clientCertFile = clientCertFile
        self.clientKeyFile = clientKeyFile
        self.authScheme = authScheme
        self.authHeader = authHeader
        self.upstream = upstream
        self.keyID = keyID
        self.secret = secret
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.allowRemote = allowRemote
        self.allowInsecureUpstream = allowInsecureUpstream
        self.mcpPath = mcpPath
        self.heartbeatInterval = heartbeatInterval
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxRequestBody = maxRequestBody
        self.allowedOrigins = allowedOrigins
        self.upstreamStreaming = upstreamStreaming
        self.caFile = caFile
        self.signing = signing
        self.origins = origins
    }
}

extension Profile {
    /// Where the listener is, for logs and `check`: `127.0.0.1:8931` or `unix:/path`.
    package var listenDescription: String {
        if let listenUnix { return "unix:\(listenUnix.path)" }
        return "\(listenHost.contains(":") ? "[\(listenHost)]" : listenHost):\(listenPort)"
    }

    /// The request headers that carry this profile's credential: the proxy writes them, and a
    /// client's copies are dropped rather than forwarded.
    package var credentialHeaders: [String] {
        switch authScheme {
        case .authGateway: return signing.ownedHeaders
        case .bearer, .oauth: return ["authorization"]
        case .jwt: return [jwt?.header ?? "authorization"]
        case .awsSigV4: return AWSSigningSettings.headers
        case .header: return authHeader.map { [$0] } ?? []
        case .none: return []
        }
    }
}

/// The loader's verdict on a valid configuration: the selected profiles, in config order, and
/// the warnings that did not stop it.
package struct ValidatedConfig: Sendable {
    package internal(set) var profiles: [Profile]
    package internal(set) var warnings: [Diagnostic]
    /// Files that were read, in order; empty in environment-only mode.
    package internal(set) var files: [String]
    /// The admin listener, when configured.
    package internal(set) var admin: AdminSettings?

    /// The audit trail, when configured.
    package internal(set) var audit: AuditSettings?

    /// Made by `ConfigLoader` only.
    /// OpenTelemetry traces, when configured.
    package internal(set) var otel: OTelSettings?

    init(profiles: [Profile], warnings: [Diagnostic], files: [String], admin: AdminSettings? = nil, audit: AuditSettings? = nil,
         otel: OTelSettings? = nil) {
        self.audit = audit
        self.otel = otel
        self.profiles = profiles
        self.warnings = warnings
        self.files = files
        self.admin = admin
    }
}
