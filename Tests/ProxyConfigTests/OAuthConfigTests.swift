import Testing
@testable import ProxyConfig

/// `auth_scheme: oauth` and its `oauth:` block: defaults, every key typed, and each mistake an
/// error at its location with the fix.
@Suite("auth_scheme: oauth")
struct OAuthConfigTests {
    static func yaml(_ extra: String) -> String {
        AuthSchemeConfigTests.yaml("auth_scheme: oauth\n" + extra)
    }

    static let environment = ["HOME": "/home/u", "CLIENT_SECRET": "0123456789abcdef-client"]

    @Test("no oauth: block at all: authorization code, dynamic registration, the token file under ~/.local/state")
    func defaults() throws {
        let fixture = ConfigFixture(["c.yaml": Self.yaml("")])
        let result = fixture.load("c.yaml", environment: Self.environment)
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics.map(\.headline))")
        let oauth = try #require(profile.oauth)
        #expect(profile.authScheme == .oauth && profile.credentialHeaders == ["authorization"])
        #expect(oauth.grant == .authorizationCode && oauth.clientID == nil && oauth.scopes == nil && oauth.resource == .auto)
        #expect(oauth.tokenFile == "/home/u/.local/state/mcp-auth-proxy/oauth/prod.json")
        #expect(OAuthSettings.defaultTokenFile(profile: "p", environment: ["XDG_STATE_HOME": "/s"]) == "/s/mcp-auth-proxy/oauth/p.json")
    }

    @Test("every key is read")
    func everyKey() throws {
        let block = """
        oauth:
          grant: client_credentials
          client_id: robot
          client_secret_env: CLIENT_SECRET
          scopes: [repo, "read:org"]
          issuer: https://auth.example.com/tenant
          resource: none
          extra_authorize_params: {prompt: consent, audience: api}
          redirect_port: 8765
          token_file: ~/tokens/prod.json
        """
        let fixture = ConfigFixture(["c.yaml": Self.yaml(block)])
        let result = fixture.load("c.yaml", environment: Self.environment)
        let oauth = try #require(result.config?.profiles.first?.oauth, "\(result.diagnostics.map(\.headline))")
        #expect(oauth.grant == .clientCredentials && oauth.clientID == "robot")
        #expect(oauth.clientSecret?.bytes == Array("0123456789abcdef-client".utf8))
        #expect(oauth.scopes == ["repo", "read:org"] && oauth.issuer == "https://auth.example.com/tenant" && oauth.resource == .none)
        #expect(oauth.extraAuthorizeParameters.map(\.key) == ["prompt", "audience"])
        #expect(oauth.redirectPort == 8765 && oauth.tokenFile == "/home/u/tokens/prod.json")
        let settings = try #require(result.config?.profiles.first).effectiveSettings
        #expect(!settings.contains { $0.value.contains("0123456789abcdef-client") }, "check never shows the client secret")
        #expect(settings.contains { $0.key == "oauth.issuer" && $0.value == "https://auth.example.com/tenant" })
    }

    @Test("mistakes are errors at their key, with the fix", arguments: [
        ("secret_env: CLIENT_SECRET", "profiles.prod.secret_env: `auth_scheme: oauth` gets its access token by OAuth, so this profile takes no secret"),
        ("oauth: {grant: client_credentials, client_id: robot}", "`grant: client_credentials` needs a confidential client"),
        ("oauth: {grant: implicit}", "profiles.prod.oauth.grant: \"implicit\" is not one of authorization_code, client_credentials"),
        ("oauth: {extra_authorize_params: {state: x}}", "`state` is set by the proxy itself"),
        ("oauth: {resource: \"not a uri\"}", "profiles.prod.oauth.resource: \"not a uri\" is not auto, none or an absolute URI"),
        ("oauth: {redirect_port: 70000}", "profiles.prod.oauth.redirect_port: \"70000\" is not a port number"),
        ("oauth: {issuer: \"http://auth.example.com\"}", "profiles.prod.oauth.issuer: \"http://auth.example.com\" is plain http to a non-loopback host"),
        ("oauth: {client_metadata_url: \"https://me.example\"}", "a client ID metadata document URL needs a path"),
        ("oauth: {client_secret_env: A, client_secret_file: /x}", "both `client_secret_env` and `client_secret_file` are set"),
        ("oauth: {scopes: [\"a b\"]}", "every scope must be visible ASCII without spaces"),
        ("oauth: {tenant: x}", "profiles.prod.oauth.tenant"),
    ])
    func mistakes(extra: String, expected: String) {
        let errors = ConfigFixture.errors(Self.yaml(extra), environment: Self.environment)
        #expect(errors.contains { $0.contains(expected) }, "got \(errors)")
    }

    @Test("oauth: in a profile of another scheme is an error naming the scheme")
    func blockOfAnotherScheme() {
        let errors = ConfigFixture.errors(AuthSchemeConfigTests.yaml("auth_scheme: bearer\nsecret_env: CLIENT_SECRET\noauth: {scopes: [a]}"),
                                          environment: Self.environment)
        #expect(errors.contains { $0.contains("`oauth:` belongs to `auth_scheme: oauth`, and this profile uses bearer") }, "got \(errors)")
    }
}
