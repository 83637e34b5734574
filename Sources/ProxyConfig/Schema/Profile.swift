/// One fully validated profile: everything a listener needs, already typed and checked.
/// Nothing downstream of the loader sees YAML nodes or raw environment strings.
public struct Profile: Sendable {
    public enum UpstreamStreaming: String, Sendable, Hashable, CaseIterable {
        /// Forward GET; if the upstream answers 405, remember it and serve the local heartbeat.
        case auto
        case on
        case off
    }

    /// How the proxy authenticates to the upstream.
    public enum AuthScheme: String, Sendable, Hashable, CaseIterable {
        /// HMAC signature headers (key id, timestamp, signature), fresh per request.
        case authGateway = "auth-gateway"
        /// `Authorization: Bearer <secret>`.
        case bearer
        /// `<auth_header>: <secret>`.
        case header
        /// No credential (an upstream that needs none, or only TLS).
        case none
    }

    public var name: String
    public var upstream: UpstreamURL
    public var authScheme: AuthScheme
    /// The header the `header` scheme writes (lower-case); nil for the other schemes.
    public var authHeader: String?
    /// The key id of the `auth-gateway` scheme; empty for the others.
    public var keyID: String
    public var secret: Secret
    public var listenHost: String
    public var listenPort: Int
    public var allowRemote: Bool
    public var allowInsecureUpstream: Bool
    /// Local MCP endpoint path, without a trailing slash (except "/").
    public var mcpPath: String
    public var heartbeatInterval: ConfigDuration
    public var connectTimeout: ConfigDuration
    public var requestTimeout: ConfigDuration
    public var maxRequestBody: ByteSize
    /// How many requests the stdio bridge has in flight to the upstream at once (each holds a
    /// connection); later ones queue in order. Notifications, responses, the GET stream and the
    /// final DELETE are not counted: a cancellation must never wait behind the calls it cancels.
    public var maxUpstreamConnections = defaultUpstreamConnections
    public static let defaultUpstreamConnections = 32
    public static let upstreamConnectionsLimit = 4096
    /// Extra browser origins (`scheme://host[:port]`, lower-case) allowed besides loopback ones.
    public var allowedOrigins: [String]
    public var upstreamStreaming: UpstreamStreaming
    public var caFile: String?
    /// A client certificate (PEM, leaf first) and its key, presented to an https upstream (mTLS).
    public var clientCertFile: String?
    public var clientKeyFile: String?
    public var signing: SigningOptions
    /// A Unix-domain socket instead of `listenHost`/`listenPort` (which are then unused, port 0).
    public var listenUnix: UnixListen?
    /// TLS on the listener; nil for plain HTTP.
    public var listenerTLS: ListenerTLS?
    /// Which tools may be called; nil: no policy (nothing is parsed beyond the JSON-RPC check).
    public var toolPolicy: ToolPolicy?
    /// Who may use the listener (inbound client authentication).
    public var clientAuth: ClientAuth = .none
    /// Where each effective value came from, keyed by schema key (`signing.algorithm` for nested ones).
    public var origins: [String: ConfigOrigin]

    public init(
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
    public var listenDescription: String {
        if let listenUnix { return "unix:\(listenUnix.path)" }
        return "\(listenHost.contains(":") ? "[\(listenHost)]" : listenHost):\(listenPort)"
    }

    /// The request headers that carry this profile's credential: the proxy writes them, and a
    /// client's copies are dropped rather than forwarded.
    public var credentialHeaders: [String] {
        switch authScheme {
        case .authGateway: return signing.ownedHeaders
        case .bearer: return ["authorization"]
        case .header: return authHeader.map { [$0] } ?? []
        case .none: return []
        }
    }
}

/// The loader's verdict on a valid configuration: the selected profiles, in config order, and
/// the warnings that did not stop it.
public struct ValidatedConfig: Sendable {
    public var profiles: [Profile]
    public var warnings: [Diagnostic]
    /// Files that were read, in order; empty in environment-only mode.
    public var files: [String]
    /// The admin listener, when configured.
    public var admin: AdminSettings?

    public init(profiles: [Profile], warnings: [Diagnostic], files: [String], admin: AdminSettings? = nil) {
        self.profiles = profiles
        self.warnings = warnings
        self.files = files
        self.admin = admin
    }
}
