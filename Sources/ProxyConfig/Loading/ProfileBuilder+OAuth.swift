/// The `oauth:` block of `auth_scheme: oauth`.
extension ProfileBuilder {
    /// Nil when a key is invalid (each problem reported at its key).
    mutating func oauthSettings(upstream: UpstreamURL?) -> OAuthSettings?? {
        let errorsBefore = diagnostics.errors.count
        var settings = OAuthSettings(tokenFile: OAuthSettings.defaultTokenFile(profile: name, environment: environment))
        if let grant = choice("oauth.grant", default: OAuthSettings.Grant.authorizationCode) { settings.grant = grant }
        settings.clientID = text("oauth.client_id", required: false, check: TokenRules.isVisibleASCII,
                                 problem: "is not a client id", fix: "write the client id the authorization server issued")
        settings.clientMetadataURL = oauthURL("oauth.client_metadata_url", requirePath: true)
        settings.issuer = oauthURL("oauth.issuer", requirePath: false)
        settings.clientSecret = isSelected ? secretValue(.oauthClient, required: false) : nil
        settings.scopes = scopeList("oauth.scopes")
        settings.extraAuthorizeParameters = authorizeParameters() ?? []
        if let resource = scalar("oauth.resource") {
            switch resource.text {
            case "auto": settings.resource = .auto
            case "none": settings.resource = .none
            default:
                if case .success = UpstreamURL.parse(resource.text), !resource.text.contains("#") {
                    settings.resource = .uri(resource.text)
                } else {
                    report(resource.source, "\(quoted(resource.text)) is not auto, none or an absolute URI",
                           fix: "write `resource: auto` (the upstream URL), `none`, or the URI the server expects, e.g. https://mcp.example.com/mcp")
                }
            }
        } else {
            _ = recordDefault("oauth.resource", 0)
        }
        if let port = scalar("oauth.redirect_port") {
            if port.text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(port.text), (0...65535).contains(value) {
                settings.redirectPort = value
            } else {
                report(port.source, "\(quoted(port.text)) is not a port number", fix: "write 0 (any free port) or a port from 1 to 65535 registered as the redirect URI's")
            }
        } else {
            _ = recordDefault("oauth.redirect_port", 0)
        }
        if let file = text("oauth.token_file", required: false, check: { !$0.isEmpty }, problem: "is not a path", fix: "write a file path") {
            settings.tokenFile = file.hasPrefix("~/") ? (environment["HOME"] ?? "") + file.dropFirst(1) : file
        } else {
            _ = recordDefault("oauth.token_file", 0)
        }
        if settings.grant == .clientCredentials, isSelected, settings.clientSecret == nil, diagnostics.errors.count == errorsBefore {
            report(fields["oauth.grant"], "`grant: client_credentials` needs a confidential client: a client_id and its secret",
                   fix: "add `client_id:` and `client_secret_env: VARIABLE` (or client_secret_file / client_secret_command) under `oauth:`")
        }
        if settings.grant == .tokenExchange, settings.clientID == nil, diagnostics.errors.count == errorsBefore {
            missing("oauth.client_id", fix: "add `client_id:` (and its secret) under `oauth:`: the token exchange is made by a client registered with the authorization server")
        }
        if settings.grant == .clientCredentials, settings.clientID == nil, diagnostics.errors.count == errorsBefore {
            missing("oauth.client_id", fix: "add `client_id:` under `oauth:`: client_credentials needs the client registered with the authorization server")
        }
        if let upstream, upstream.scheme == .http, !upstream.isLoopback, diagnostics.errors.count == errorsBefore {
            // Already reported by the upstream check unless allow_insecure_upstream; tokens are worse.
            report(fields["upstream_url"], "an OAuth access token would travel in the clear to \(upstream.host)", fix: "use https:// for the upstream")
        }
        return diagnostics.errors.count == errorsBefore ? .some(settings) : nil
    }

    /// An http(s) URL; plain http only to loopback (OAuth 2.1 §1.5).
    private mutating func oauthURL(_ key: String, requirePath: Bool) -> String? {
        guard let value = scalar(key) else { return nil }
        guard case .success(let url) = UpstreamURL.parse(value.text) else {
            report(value.source, "\(quoted(value.text)) is not an http(s) URL", fix: "write an absolute https:// URL")
            return nil
        }
        guard url.scheme == .https || url.isLoopback else {
            report(value.source, "\(quoted(value.text)) is plain http to a non-loopback host", fix: "use https://")
            return nil
        }
        if requirePath, url.basePath.isEmpty {
            report(value.source, "a client ID metadata document URL needs a path", fix: "write e.g. https://me.example/mcp-client.json")
            return nil
        }
        return value.text
    }

    /// A list of scopes, or the wire form `"repo read:org"`.
    mutating func scopeList(_ key: String) -> [String]? {
        guard let source = written(key), let node = source.node else { return nil }
        origins[key] = source.origin
        let items: [YAMLNode]
        switch node.content {
        case .sequence(let list): items = list
        default:
            // `scopes: "repo read:org"` is the wire form; take it too.
            guard let text = node.scalar else {
                report(source, "expected \(ConfigKey.Kind.scopes.expectation), found \(node.kindDescription)", fix: "write `scopes: [repo, read:org]`")
                return nil
            }
            return text.split(separator: " ").map(String.init)
        }
        var scopes: [String] = []
        for item in items {
            guard let text = item.scalar, !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }) else {
                report(source, "every scope must be visible ASCII without spaces, quotes or backslashes", fix: "write `scopes: [repo, read:org]`")
                return nil
            }
            scopes.append(text)
        }
        return scopes
    }

    private mutating func authorizeParameters() -> [OAuthSettings.KeyValue]? {
        guard let source = written("oauth.extra_authorize_params"), let node = source.node else { return nil }
        origins["oauth.extra_authorize_params"] = source.origin
        guard case .mapping(let pairs) = node.content else {
            report(source, "expected \(ConfigKey.Kind.parameters.expectation), found \(node.kindDescription)", fix: "write `extra_authorize_params: {prompt: consent}`")
            return nil
        }
        // The parameters the proxy owns: a user's value would break PKCE, state or the redirect.
        let owned: Set<String> = ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope", "resource"]
        var result: [OAuthSettings.KeyValue] = []
        for pair in pairs {
            guard let key = pair.key.scalar, let value = pair.value.scalar, !key.isEmpty else {
                report(source, "each parameter must be a name and a text value", fix: "write `extra_authorize_params: {prompt: consent}`")
                return nil
            }
            guard !owned.contains(key) else {
                report(source, "`\(key)` is set by the proxy itself", fix: "remove `\(key)` (scopes go in `scopes:`, the resource in `resource:`)")
                return nil
            }
            result.append(OAuthSettings.KeyValue(key: key, value: value))
        }
        return result
    }
}
