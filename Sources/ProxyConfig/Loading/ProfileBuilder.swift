#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Types and checks the layered values of one profile. Every problem becomes a diagnostic; the
/// profile is returned only when it has none.
struct ProfileBuilder {
    let name: String
    /// Where the profile itself is declared; missing-key errors point here.
    let declaration: ConfigOrigin
    let declarationPath: String
    /// The effective candidate for each key after precedence (override > profile > defaults).
    let fields: [String: FieldSource]
    let environment: [String: String]
    /// Unselected profiles are checked for what their file says, but their secrets are not read.
    var isSelected = true
    /// In environment-only mode a missing value is fixed by setting a variable, not by editing a file.
    var environmentOnly = false
    var diagnostics: [Diagnostic] = []
    var origins: [String: ConfigOrigin] = [:]

    init(name: String, declaration: ConfigOrigin, declarationPath: String, fields: [String: FieldSource], environment: [String: String]) {
        self.name = name
        self.declaration = declaration
        self.declarationPath = declarationPath
        self.fields = fields
        self.environment = environment
    }

    mutating func build() -> Profile? {
        let errorsBefore = diagnostics.errors.count
        let upstream = upstreamURL()
        let scheme = choice("auth_scheme", default: Profile.AuthScheme.authGateway)
        let authHeader = authHeaderValue(scheme: scheme)
        let keyID: String?
        if scheme == .authGateway {
            keyID = text("key_id", required: true, check: TokenRules.isVisibleASCII,
                         problem: "is not a valid key id", fix: "use visible ASCII characters only, no spaces")
        } else {
            if let scheme { rejectGatewayKeys(scheme: scheme) }
            keyID = ""
        }
        let listenUnix = unixListenValue()
        let listenHost = listenHostValue()
        // A Unix socket replaces the port (0 then); the host stays for the Host header check.
        let listenPort: Int?
        if case .some(.some) = listenUnix { listenPort = 0 } else { listenPort = port("listen_port") }
        let allowRemote = bool("allow_remote", default: false)
        let clientAuth = clientAuthValue(allowRemote: allowRemote, listenHost: listenHost)
        let listenerTLS = listenerTLSValue()
        let toolPolicy = toolPolicyValue(clientAuth: clientAuth?.mode)
        let rateLimit = rateLimitValue()
        let allowInsecure = bool("allow_insecure_upstream", default: false)
        let mcpPath = mcpPathValue()
        let heartbeat = duration("heartbeat_interval", default: .seconds(15))
        let connectTimeout = duration("connect_timeout", default: .seconds(5))
        let requestTimeout = duration("request_timeout", default: .seconds(300))
        let maxBody = size("max_request_body", default: ByteSize(bytes: 4 << 20))
        let maxUpstreamConnections = count("max_upstream_connections", default: Profile.defaultUpstreamConnections, maximum: Profile.upstreamConnectionsLimit)
        let origins = allowedOrigins()
        let streaming = choice("upstream_streaming", default: Profile.UpstreamStreaming.auto)
        let caFile = readableFile("ca_file")
        let clientCertificate = clientCertificateFiles(upstream: upstream)
        let signing = scheme == .authGateway ? signingOptions() : SigningOptions()
        let secret: Secret?
        var oauth: OAuthSettings?? = .some(nil)
        var jwt: JWTAssertionSettings?? = .some(nil)
        var aws: AWSSigningSettings?? = .some(nil)
        if let scheme, scheme != .oauth { rejectOAuthKeys(scheme: scheme) }
        if let scheme, scheme != .jwt { rejectBlock("jwt", of: .jwt, scheme: scheme) }
        if let scheme, scheme != .awsSigV4 { rejectBlock("aws", of: .awsSigV4, scheme: scheme) }
        if scheme == Profile.AuthScheme.none || scheme == .oauth || scheme == .jwt || scheme == .awsSigV4 {
            rejectSecretKeys(scheme: scheme ?? .none)
            secret = Secret(bytes: [], source: .none)
            if scheme == .oauth { oauth = oauthSettings(upstream: upstream) }
            if scheme == .jwt { jwt = jwtSettings(upstream: upstream).map { .some($0) } }
            if scheme == .awsSigV4 { aws = awsSettings().map { .some($0) } }
        } else {
            secret = isSelected ? secretValue() : nil
        }

        if let upstream, upstream.scheme == .http, !upstream.isLoopback, allowInsecure == false {
            report(fields["upstream_url"], "plain http to the non-loopback host \(upstream.host) would send \(scheme == .oauth ? "access tokens" : "signed requests") in the clear",
                   fix: "use https://, or set `allow_insecure_upstream: true` if the network path is trusted")
        }
        if case .some(.some(let settings)) = oauth, settings.grant == .tokenExchange, let clientAuth, clientAuth.mode != .oauth {
            report(fields["oauth.grant"], "`grant: token_exchange` exchanges each client's own OAuth token, and this profile has client_auth: \(clientAuth.mode.rawValue)",
                   fix: "set `client_auth: oauth` with `client_oauth:`, or choose another grant")
        }
        if let listenHost, !HostName.isLoopback(listenHost), allowRemote == false {
            report(fields["listen_host"], "\(listenHost) is not a loopback address; anyone who can reach it could use your key",
                   fix: "listen on 127.0.0.1, or set `allow_remote: true` to accept remote clients deliberately")
        }
        guard isSelected, diagnostics.errors.count == errorsBefore, let upstream, let keyID, let listenHost, let listenPort,
              let allowRemote, let allowInsecure, let mcpPath, let heartbeat, let connectTimeout, let requestTimeout,
              let maxBody, let origins, let streaming, let signing, let secret, let scheme, let authHeader,
              let clientCertificate, let clientAuth, let listenerTLS, let listenUnix, let toolPolicy, let maxUpstreamConnections,
              let rateLimit, let oauth, let jwt, let aws else {
            // Every way to fail reports why; a profile must never vanish without a diagnostic.
            if isSelected, diagnostics.errors.count == errorsBefore {
                report(nil, "the profile could not be built", fix: "please report this with the profile (secrets removed)")
            }
            return nil
        }
        var profile = Profile(
            name: name, upstream: upstream, keyID: keyID, secret: secret, listenHost: listenHost, listenPort: listenPort,
            allowRemote: allowRemote, allowInsecureUpstream: allowInsecure, mcpPath: mcpPath, heartbeatInterval: heartbeat,
            connectTimeout: connectTimeout, requestTimeout: requestTimeout, maxRequestBody: maxBody, allowedOrigins: origins,
            upstreamStreaming: streaming, caFile: caFile ?? nil, signing: signing, origins: self.origins,
            authScheme: scheme, authHeader: authHeader,
            clientCertFile: clientCertificate?.certificate, clientKeyFile: clientCertificate?.key
        )
        profile.clientAuth = clientAuth
        profile.listenerTLS = listenerTLS
        profile.listenUnix = listenUnix
        profile.toolPolicy = toolPolicy
        profile.rateLimit = rateLimit
        profile.maxUpstreamConnections = maxUpstreamConnections
        profile.oauth = oauth
        profile.jwt = jwt
        profile.aws = aws
        return profile
    }

    // MARK: Reporting

    mutating func report(_ source: FieldSource?, _ message: String, fix: String? = nil, severity: Diagnostic.Severity = .error) {
        let origin = source?.origin ?? declaration
        let keyPath = source == nil ? declarationPath : source?.keyPath
        diagnostics.append(Diagnostic(severity, at: origin, keyPath: keyPath, message, fixIt: fix))
    }

    mutating func missing(_ key: String, fix: String) {
        if environmentOnly, let variable = ConfigLoader.unprefixedVariable(forKey: key == "secret_env" ? "secret" : key) {
            diagnostics.append(Diagnostic(.error, at: .environment(variable: variable), "is not set",
                                          fixIt: "export \(variable), or write a profile file (see docs/configuration.md)"))
            return
        }
        diagnostics.append(Diagnostic(.error, at: declaration, keyPath: declarationPath, "missing required key `\(key)`", fixIt: fix))
    }

    /// The scalar text of `key`, recording its origin; reports a type error for lists and mappings,
    /// saying what the key's `SchemaKeys` entry expects.
    mutating func scalar(_ key: String) -> (text: String, isPlain: Bool, source: FieldSource)? {
        guard let expected = SchemaKeys.key(key)?.kind.expectation else { preconditionFailure("`\(key)` is not in SchemaKeys") }
        guard let source = fields[key] else { return nil }
        if case .node(let node) = source.value, node.isNull { return nil }
        guard let scalar = source.scalar else {
            report(source, "expected \(expected), found \(source.foundDescription)")
            return nil
        }
        origins[key] = source.origin
        return (scalar.text, scalar.isPlain, source)
    }

    /// The key's source unless it is absent or written empty (`key:` alone is YAML null, which
    /// the loader reads as "not set", as it does for every scalar key).
    func written(_ key: String) -> FieldSource? {
        guard let source = fields[key] else { return nil }
        if case .node(let node) = source.value, node.isNull { return nil }
        return source
    }

    // MARK: Typed values

    mutating func text(_ key: String, required: Bool, check: (String) -> Bool, problem: String, fix: String) -> String? {
        guard let value = scalar(key) else {
            if required { missing(key, fix: "add `\(key):` to the profile") }
            return nil
        }
        guard check(value.text) else {
            report(value.source, "\(quoted(value.text)) \(problem)", fix: fix)
            return nil
        }
        return value.text
    }

    /// Optional values yield `.some(default)` when absent and nil when present but invalid.
    mutating func bool(_ key: String, default fallback: Bool) -> Bool? {
        guard let value = scalar(key) else { return recordDefault(key, fallback) }
        switch (value.text, value.isPlain) {
        case ("true", true): return true
        case ("false", true): return false
        default:
            report(value.source, "\(quoted(value.text)) is not a boolean", fix: "write `true` or `false` (YAML 1.1 forms like yes/no/on/off are not accepted)")
            return nil
        }
    }

    mutating func port(_ key: String) -> Int? {
        guard let value = scalar(key) else {
            missing(key, fix: "add `\(key): 8931` (any free port 1-65535, unique among the profiles served)")
            return nil
        }
        guard value.text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(value.text), (1...65535).contains(port) else {
            report(value.source, "\(quoted(value.text)) is not a port number (1-65535)")
            return nil
        }
        return port
    }

    mutating func count(_ key: String, default fallback: Int, maximum: Int) -> Int? {
        parsed(key, default: fallback, parse: { Self.wholeNumber($0, maximum: maximum) },
               problem: "is not a whole number from 1 to \(maximum)", fix: "write a number such as 32")
    }

    /// Plain digits (at most nine) for a number from 1 to `maximum`; nil for anything else.
    static func wholeNumber(_ text: String, maximum: Int) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), (1...maximum).contains(value) else { return nil }
        return value
    }

    mutating func duration(_ key: String, default fallback: ConfigDuration) -> ConfigDuration? {
        parsed(key, default: fallback, parse: ConfigDuration.parse,
               problem: "is not a duration", fix: "write a whole number with a unit: 250ms, 15s, 5m, 1h")
    }

    mutating func size(_ key: String, default fallback: ByteSize) -> ByteSize? {
        parsed(key, default: fallback, parse: ByteSize.parse,
               problem: "is not a size", fix: "write bytes or a whole number with a unit: 1048576, 512KiB, 4MiB")
    }

    /// A scalar turned into a value by `parse`; the default when absent, nil (and an error) when unparsable.
    mutating func parsed<Value>(_ key: String, default fallback: Value, parse: (String) -> Value?,
                                problem: String, fix: String) -> Value? {
        guard let value = scalar(key) else { return recordDefault(key, fallback) }
        guard let result = parse(value.text) else {
            report(value.source, "\(quoted(value.text)) \(problem)", fix: fix)
            return nil
        }
        return result
    }

    mutating func choice<Value: RawRepresentable & CaseIterable>(_ key: String, default fallback: Value) -> Value? where Value.RawValue == String {
        guard let value = scalar(key) else {
            return recordDefault(key, fallback)
        }
        guard let choice = Value(rawValue: value.text) else {
            let options = Value.allCases.map(\.rawValue)
            let hint = Suggestion.closest(to: value.text, among: options).map { "did you mean `\($0)`? " } ?? ""
            report(value.source, "\(quoted(value.text)) is not one of \(options.joined(separator: ", "))", fix: hint + "choose one of \(options.joined(separator: ", "))")
            return nil
        }
        return choice
    }

    mutating func recordDefault<Value>(_ key: String, _ value: Value) -> Value? {
        if origins[key] == nil { origins[key] = .builtInDefault }
        return value
    }

    /// A value in a message: quoted, its quotes and control characters escaped.
    func quoted(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\"" { escaped.append("\\") }
            escaped.append(scalar)
        }
        return "\"" + Diagnostic.printable(String(escaped)) + "\""
    }
}
