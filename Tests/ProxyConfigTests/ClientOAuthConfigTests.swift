import ProxyConfig
import Testing

/// `client_auth: oauth` and its `client_oauth:` block: each mistake is an error at its key with
/// the fix, and a good block is shown whole by `check`.
@Suite("client_oauth configuration")
struct ClientOAuthConfigTests {
    static func block(_ extra: String = "") -> String {
        "client_auth: oauth\nclient_oauth:\n  issuer: https://idp.example.com/realms/team\n  audience: https://mcp.example.com/mcp\n" + extra
    }

    @Test("a good block: defaults, every key shown by check, the metadata URL derived from the audience")
    func everyKey() throws {
        let fixture = ConfigFixture(["c.yaml": profileYAML(Self.block("  required_scopes: [mcp, \"mcp:read\"]\n  jwks_uri: https://idp.example.com/certs\n"))])
        let profile = try #require(fixture.load("c.yaml").config?.profiles.first)
        let settings = try #require(profile.clientAuth.oauth)
        #expect(settings.algorithms == [.rs256, .es256] && settings.clockSkew == .seconds(60) && settings.clientNameClaim == "sub")
        #expect(settings.requiredScopes == ["mcp", "mcp:read"] && settings.introspection == nil)
        #expect(settings.metadataURL == "https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        let shown = profile.effectiveSettings.map { "\($0.key)=\($0.value)" }
        #expect(shown.contains("client_auth=oauth") && shown.contains("client_oauth.jwks_uri=https://idp.example.com/certs"))
        #expect(shown.contains("client_oauth.introspection=off (JWT access tokens only)"))
    }

    @Test("mistakes are errors at their key, with the fix", arguments: [
        ("client_auth: oauth", "missing required key `client_oauth.issuer`"),
        (block("  algorithms: [HS256]\n"), "is an HMAC algorithm"),
        (block("  algorithms: [none]\n"), "would accept unsigned tokens"),
        (block("  algorithms: [RS1]\n"), "is not a supported algorithm"),
        (block("  clock_skew: 1h\n"), "would accept tokens expired that long ago"),
        (block("  jwks_refresh: 500ms\n"), "more than once a second"),
        (block("  introspection_endpoint: https://idp.example.com/introspect\n"), "introspection needs `introspection_client_id`"),
        ("client_auth: oauth\nclient_oauth:\n  issuer: http://idp.example.com\n  audience: https://mcp.example.com/mcp", "plain http to a non-loopback host"),
        ("client_auth: bearer\nclient_tokens: [{name: a, token_env: SECRET}]\nclient_oauth:\n  issuer: https://idp.example.com", "`client_oauth:` belongs to `client_auth: oauth`"),
        (block() + "client_tokens: [{name: a, token_env: SECRET}]", "`client_tokens` belong to `client_auth: bearer`"),
    ])
    func mistakes(_ yaml: String, _ expected: String) {
        let errors = ConfigFixture.errors(profileYAML(yaml))
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }

    @Test("oauth.grant: token_exchange needs client_auth: oauth and a client")
    func tokenExchange() {
        func profile(_ extra: String) -> String {
            "profiles:\n  gw:\n    upstream_url: https://mcp.example.com/mcp\n    auth_scheme: oauth\n    listen_port: 8931\n"
                + extra.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        }
        #expect(ConfigFixture.errors(profile("oauth:\n  grant: token_exchange\n  client_id: gw")).contains {
            $0.contains("`grant: token_exchange` exchanges each client's own OAuth token")
        })
        #expect(ConfigFixture.errors(profile(Self.block() + "oauth:\n  grant: token_exchange")).contains {
            $0.contains("missing required key `oauth.client_id`")
        })
        #expect(ConfigFixture.errors(profile(Self.block() + "oauth:\n  grant: token_exchange\n  client_id: gw")).isEmpty)
    }
}
