import ProxyLogging

/// The `jwt:` block of `auth_scheme: jwt`: the key is read and parsed here, so a key of the wrong
/// kind is an error at its key, not a failure on the first request.
extension ProfileBuilder {
    /// Nil when a key is invalid (each problem reported at its key).
    mutating func jwtSettings(upstream: UpstreamURL?) -> JWTAssertionSettings? {
        let errorsBefore = diagnostics.errors.count
        let algorithm = choice("jwt.algorithm", default: JWTAssertionSettings.Algorithm.es256)
        let issuer = text("jwt.issuer", required: true, check: { !$0.isEmpty }, problem: "is not an issuer", fix: "write the name the upstream knows this client by")
        let keyID = text("jwt.key_id", required: false, check: TokenRules.isVisibleASCII, problem: "is not a key id", fix: "write the kid the upstream expects")
        let subject = text("jwt.subject", required: false, check: { !$0.isEmpty }, problem: "is not a subject", fix: "write the sub claim")
        let audience = text("jwt.audience", required: false, check: { !$0.isEmpty }, problem: "is not an audience", fix: "write the aud claim")
        let lifetime = duration("jwt.lifetime", default: .seconds(60))
        let perRequest = bool("jwt.per_request", default: false)
        let header = jwtHeader()
        let claims = jwtClaims()
        var key: Secret?
        if isSelected {
            key = secretValue(.jwtKey, required: false)
            if key == nil, diagnostics.errors.count == errorsBefore {
                missing("jwt.private_key_file", fix: "add `private_key_file: /path/key.pem` (or private_key_env / private_key_command) under `jwt:`")
            }
        }
        if let lifetime, lifetime < .seconds(5) || lifetime > .seconds(3600), let source = written("jwt.lifetime") {
            report(source, "a token lifetime of \(lifetime) is outside 5s to 1h", fix: "60s is usual: long enough to reuse, short enough to matter if it leaks")
        }
        if let key, let algorithm, case .failure(let problem) = JWTSigningKey.parse(String(decoding: key.bytes, as: UTF8.self), for: algorithm) {
            report(written("jwt.private_key_file") ?? written("jwt.private_key_env") ?? written("jwt.private_key_command"),
                   "the private key from \(key.source) \(problem)",
                   fix: "use a key for \(algorithm.rawValue) (e.g. `openssl genpkey -algorithm \(["RS256": "RSA", "ES256": "EC -pkeyopt ec_paramgen_curve:P-256", "EdDSA": "ed25519"][algorithm.rawValue]!)`), or change `algorithm`")
        }
        guard diagnostics.errors.count == errorsBefore, let algorithm, let issuer, let lifetime, let perRequest, let header, let claims else { return nil }
        var settings = JWTAssertionSettings(privateKey: key ?? Secret(bytes: [], source: .none), issuer: issuer, subject: subject ?? issuer,
                                            audience: audience ?? upstream?.description ?? "")
        settings.algorithm = algorithm
        settings.keyID = keyID
        settings.lifetime = lifetime
        settings.perRequest = perRequest
        settings.header = header
        settings.claims = claims
        return settings
    }

    private mutating func jwtHeader() -> String? {
        guard let value = scalar("jwt.header") else { return recordDefault("jwt.header", "authorization") }
        let lower = value.text.lowercased()
        guard TokenRules.isHeaderName(lower), !TokenRules.reservedHeaders.contains(lower) || lower == "authorization" else {
            report(value.source, "\(quoted(value.text)) is not a header a token can travel in", fix: "write authorization (the default) or the header the upstream reads, e.g. x-assertion")
            return nil
        }
        return lower
    }

    /// `claims: {tenant: acme, tier: 2, beta: true}`: plain numbers and booleans stay JSON numbers
    /// and booleans, everything else is a string.
    private mutating func jwtClaims() -> [JWTAssertionSettings.Claim]? {
        guard let source = written("jwt.claims"), let node = source.node else { return [] }
        origins["jwt.claims"] = source.origin
        guard case .mapping(let pairs) = node.content else {
            report(source, "expected \(ConfigKey.Kind.parameters.expectation), found \(node.kindDescription)", fix: "write `claims: {tenant: acme}`")
            return nil
        }
        var claims: [JWTAssertionSettings.Claim] = []
        for pair in pairs {
            guard let name = pair.key.scalar, !name.isEmpty, let value = pair.value.scalar else {
                report(source, "each claim must be a name and a text, number or boolean value", fix: "write `claims: {tenant: acme}`")
                return nil
            }
            guard !JWTAssertionSettings.reservedClaims.contains(name) else {
                report(source, "`\(name)` is set by the proxy itself", fix: "remove `\(name)` (iss, sub and aud have their own keys; iat, exp, nbf and jti are made per token)")
                return nil
            }
            var isPlain = false
            if case .scalar(_, let plain) = pair.value.content { isPlain = plain }
            let json: String
            if isPlain, value == "true" || value == "false" || (Double(value) != nil && value.allSatisfy({ "0123456789.-eE+".contains($0) })) {
                json = value
            } else {
                json = LogLine.jsonQuoted(value)
            }
            claims.append(.init(name: name, json: json))
        }
        return claims
    }
}
