import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxyMetrics
import ProxySigning
import NIOSSL
import ProxyResourceServer
import ProxyAudit
import ProxyTracing

/// Everything a listener's connections need about their profile, prepared once and shared
/// read-only across event loops (except the one learned fact, below, which is locked).
package final class ProfileRuntime: Sendable {
    package let profile: Profile
    /// The Host, Origin and route checks on each request head.
    let admission: RequestAdmission
    /// What each connection's `ClientConnectionStateMachine` is built with.
    let exchangeConfiguration: ClientConnectionStateMachine.Configuration
    let signingKey: SigningKey
    let signer: any RequestSigner
    /// `auth_scheme: oauth`: the slot the control plane keeps the access token in. While it is
    /// empty, requests are answered locally (503, the login command) instead of forwarded.
    package let accessToken: AccessTokenSlot?
    /// `auth_scheme: aws-sigv4`: the slot the control plane keeps the AWS credentials in. While it
    /// is empty, requests are answered locally (503, why) instead of forwarded unsigned.
    package let awsCredentials: AWSCredentialSlot?
    /// `client_auth: oauth`: token checks, the loops' token caches, and the rendered challenges.
    let inboundOAuth: InboundOAuth?
    /// `oauth.grant: token_exchange`: where each client's token is exchanged for the upstream's.
    let tokenExchange: (any TokenExchanging)?
    package let endpoint: UpstreamEndpoint
    package let log: LogSink
    /// The profile's series when the admin listener is configured; nil costs nothing per request.
    package let metrics: ProfileMetrics?
    /// Client header names that never go upstream (see `HeaderRewriting.droppedFromRequests`).
    let droppedRequestHeaders: HeaderNameSet
    /// The same plus Accept-Encoding, for requests whose response the tool policy must read.
    let droppedRequestHeadersForFiltering: HeaderNameSet
    let limits: ConnectionLimits
    /// How often each connection checks its limits and its exchange's deadline: the configured
    /// interval, or a tenth of `request_timeout` when that is shorter, so short timeouts stay precise.
    let checkInterval: TimeAmount
    /// Per-client request counters, aligned with the authenticator's client names; empty without
    /// `client_auth: bearer` or metrics.
    let clientRequests: [ClientRequestCounter]
    /// TLS for the listener's connections (`tls_cert_file`), read at each accept: a reload that
    /// renews the certificate serves new connections with it at once.
    let serverTLSContext: NIOSSLContext?
    /// The audit trail (nil without `audit:`).
    package let audit: AuditTrail?
    /// `otel:`: sampling and the sink spans go to (nil: nothing traced, one branch per request).
    package let tracer: Tracer?
    /// Debug builds: this profile's connection and exchange objects still alive (see `LiveObjectTally`).
    package let liveObjects = LiveObjectTally()
    /// Learned in `upstream_streaming: auto` mode when the upstream answers GET with 405.
    private let upstreamRefusesGET = NIOLockedValueBox(false)

    package init(profile: Profile, signer: any RequestSigner, log: LogSink, limits: ConnectionLimits = ConnectionLimits(),
                metrics: ProfileMetrics? = nil, accessToken: AccessTokenSlot? = nil, clientKeys: KeySetSlot? = nil,
                tokenExchange: (any TokenExchanging)? = nil, introspector: (any OpaqueTokenChecking)? = nil,
                awsCredentials: AWSCredentialSlot? = nil, rateLimitState: RateLimitState? = nil,
                audit: AuditTrail? = nil, tracer: Tracer? = nil) throws {
        self.audit = audit
        self.tracer = tracer
        self.profile = profile
        self.metrics = metrics
        self.limits = limits
        // A listener given no key slot gets an empty one: every token is refused until keys come.
        let inboundOAuth = profile.clientAuth.oauth.map {
            InboundOAuth(settings: $0, keys: clientKeys ?? KeySetSlot(), introspector: introspector, toolPolicy: profile.toolPolicy,
                         mcpPath: profile.mcpPath, metrics: metrics)
        }
        self.inboundOAuth = inboundOAuth
        let admission = RequestAdmission(profile: profile, resourceMetadataPaths: inboundOAuth?.metadataPaths ?? [])
        self.admission = admission
        signingKey = SigningKey(profile: profile)
        // An oauth profile given no slot gets an empty one: its requests are answered, never sent without a token.
        // Under token exchange there is no profile-wide token: each client's own is exchanged.
        let exchanges = profile.oauth?.grant == .tokenExchange
        self.tokenExchange = exchanges ? tokenExchange : nil
        let accessToken = profile.authScheme == .oauth && !exchanges
            ? (accessToken ?? AccessTokenSlot(problem: "profile `\(profile.name)` has no OAuth session")) : nil
        self.accessToken = accessToken
        // An aws-sigv4 profile given no slot gets an empty one, like an oauth profile.
        let awsCredentials = profile.aws.map {
            awsCredentials ?? AWSCredentialSlot(region: $0.region, service: $0.service, problem: "profile `\(profile.name)` has no AWS credentials")
        }
        self.awsCredentials = awsCredentials
        // The scheme decides: the shared HMAC signer, a prepared static credential, the slot's token or credentials, or nothing.
        self.signer = profile.signer(authGateway: signer, accessToken: accessToken, awsCredentials: awsCredentials)
        endpoint = try UpstreamEndpoint(profile: profile, liveObjects: liveObjects, metrics: metrics)
        serverTLSContext = try profile.listenerTLS.map(Self.serverTLSContext)
        let clientNames = admission.authenticator?.names ?? []
        clientRequests = metrics.map { metrics in clientNames.map { metrics.clientRequests(client: $0) } } ?? []
        self.log = log
        // The inbound client token is consumed here: the upstream credential is the proxy's.
        let clientAuthHeaders = profile.clientAuth.consumesAuthorization ? ["authorization"] : []
        // Traced, the proxy is a hop of the trace: it sends its own traceparent (and the client's tracestate).
        let traceHeaders = tracer == nil ? [] : ["traceparent", "tracestate"]
        droppedRequestHeaders = HeaderRewriting.droppedFromRequests(ownedHeaders: profile.credentialHeaders + clientAuthHeaders + traceHeaders)
        droppedRequestHeadersForFiltering = droppedRequestHeaders.union(["accept-encoding"])
        let tenthOfRequestTimeout = TimeAmount.milliseconds(profile.requestTimeout.milliseconds / 10)
        checkInterval = min(limits.checkInterval, max(.milliseconds(10), tenthOfRequestTimeout))
        var configuration = ClientConnectionStateMachine.Configuration(
            maxRequestBody: profile.maxRequestBody.bytes, limits: limits, requestTimeout: endpoint.requestTimeout,
            learnsFromRefusedGET: profile.upstreamStreaming == .auto)
        configuration.toolPolicy = profile.toolPolicy
        configuration.profileName = profile.name
        configuration.resendsOnRefusedToken = profile.authScheme == .oauth
        // A runtime given no state gets its own: the limits hold, only a reload starts them afresh.
        configuration.audit = audit
        configuration.rateLimiter = profile.rateLimit.map {
            RateLimiter(settings: $0, state: rateLimitState ?? RateLimitState(), tokenNames: clientNames)
        }
        exchangeConfiguration = configuration
    }

    static func serverTLSContext(_ tls: ListenerTLS) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    /// Whether a GET on the MCP path is answered by the local heartbeat stream.
    var servesLocalHeartbeat: Bool {
        switch profile.upstreamStreaming {
        case .on: return false
        case .off: return true
        case .auto: return upstreamRefusesGET.withLockedValue { $0 }
        }
    }

    func rememberUpstreamRefusesGET() {
        upstreamRefusesGET.withLockedValue { $0 = true }
    }
}
