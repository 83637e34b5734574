/// `auth_scheme` and the keys that belong to one scheme only.
extension ProfileBuilder {
    /// `auth_header` for the `header` scheme: required there, an error anywhere else. Outer nil:
    /// invalid; `.some(nil)`: no header (another scheme).
    mutating func authHeaderValue(scheme: Profile.AuthScheme?) -> String?? {
        guard scheme == .header else {
            if let scheme, let source = setHere("auth_header") {
                report(source, "`auth_header` belongs to `auth_scheme: header`, and this profile uses \(scheme.rawValue)",
                       fix: "remove `auth_header`, or set `auth_scheme: header`")
                return nil
            }
            return .some(nil)
        }
        guard let value = scalar("auth_header") else {
            missing("auth_header", fix: "add `auth_header: x-api-key` (the header the upstream reads the key from)")
            return nil
        }
        let lower = value.text.lowercased()
        guard TokenRules.isHeaderName(lower) else {
            report(value.source, "\(quoted(value.text)) is not a valid header name", fix: "use letters, digits and `-` only, e.g. x-api-key")
            return nil
        }
        guard !TokenRules.reservedHeaders.contains(lower) else {
            report(value.source, "\(quoted(value.text)) is a hop-by-hop, framing or MCP header; a credential cannot travel in it",
                   fix: "use the header the upstream documents for its key, e.g. x-api-key or authorization")
            return nil
        }
        return .some(lower)
    }

    /// `key_id` and `signing:` written for a profile that does not use `auth-gateway`. Values
    /// inherited from `defaults:` are ignored: defaults serve profiles of several schemes.
    mutating func rejectGatewayKeys(scheme: Profile.AuthScheme) {
        let keys = ["key_id"] + fields.keys.filter { $0.hasPrefix("signing.") }.sorted()
        for key in keys {
            guard let source = setHere(key) else { continue }
            let written = key.hasPrefix("signing.") ? "signing:" : key
            report(source, "`\(written)` belongs to `auth_scheme: auth-gateway`, and this profile uses \(scheme.rawValue)",
                   fix: "remove `\(written)`, or set `auth_scheme: auth-gateway`")
            if key.hasPrefix("signing.") { return }
        }
    }

    /// `auth_scheme: none` sends no credential, and `oauth` gets its token by OAuth, so a profile
    /// secret source is a mistake worth naming.
    mutating func rejectSecretKeys(scheme: Profile.AuthScheme) {
        for key in ["secret", "secret_env", "secret_file", "secret_command"] {
            guard let source = setHere(key) else { continue }
            let written = key == "secret" ? "the secret override" : key
            if scheme == .awsSigV4 {
                report(source, "`auth_scheme: aws-sigv4` signs with AWS credentials, so this profile takes no secret",
                       fix: "remove `\(written)`; choose where the access key comes from with `credentials:` under `aws:`")
            } else if scheme == .jwt {
                report(source, "`auth_scheme: jwt` signs with its private key, so this profile takes no secret",
                       fix: "remove `\(written)`; the key goes under `jwt:` as private_key_\(key == "secret" ? "env" : String(key.dropFirst("secret_".count)))")
            } else if scheme == .oauth {
                report(source, "`auth_scheme: oauth` gets its access token by OAuth, so this profile takes no secret",
                       fix: "remove `\(written)`; a confidential client's secret goes under `oauth:` as client_\(key == "secret" ? "secret_env" : key)")
            } else {
                report(source, "`auth_scheme: none` sends no credential, so this profile takes no secret",
                       fix: "remove `\(written)`, or choose the scheme that uses it (bearer, header, auth-gateway)")
            }
        }
    }

    /// A scheme's block (`jwt:`, `aws:`) written for a profile of another scheme.
    mutating func rejectBlock(_ block: String, of owner: Profile.AuthScheme, scheme: Profile.AuthScheme) {
        guard let key = fields.keys.filter({ $0.hasPrefix(block + ".") }).sorted().first(where: { setHere($0) != nil }),
              let source = setHere(key) else { return }
        report(source, "`\(block):` belongs to `auth_scheme: \(owner.rawValue)`, and this profile uses \(scheme.rawValue)",
               fix: "remove `\(block):`, or set `auth_scheme: \(owner.rawValue)`")
    }

    /// `oauth:` written for a profile of another scheme.
    mutating func rejectOAuthKeys(scheme: Profile.AuthScheme) {
        guard let key = fields.keys.filter({ $0.hasPrefix("oauth.") }).sorted().first(where: { setHere($0) != nil }),
              let source = setHere(key) else { return }
        report(source, "`oauth:` belongs to `auth_scheme: oauth`, and this profile uses \(scheme.rawValue)",
               fix: "remove `oauth:`, or set `auth_scheme: oauth`")
    }

    /// The key's source when the profile itself (or an override) sets it, not `defaults:`.
    private func setHere(_ key: String) -> FieldSource? {
        guard let source = fields[key] else { return nil }
        if source.keyPath?.hasPrefix("defaults.") == true { return nil }
        return source
    }
}
