import Testing
@testable import ProxyConfig

/// `auth_scheme` and the keys that belong to one scheme, each error at its location.
@Suite("auth_scheme")
struct AuthSchemeConfigTests {
    /// A profile without key_id or secret lines, to add them per case.
    static func yaml(_ extra: String) -> String {
        """
        profiles:
          prod:
            upstream_url: https://mcp.example.com/mcp
            listen_port: 8931
        \(extra.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    static let environment = ["SECRET": "0123456789abcdef-secret"]

    @Test("each scheme loads with the keys it needs", arguments: [
        ("auth_scheme: bearer\nsecret_env: SECRET", Profile.AuthScheme.bearer, nil as String?),
        ("auth_scheme: header\nauth_header: X-Api-Key\nsecret_env: SECRET", .header, "x-api-key"),
        ("auth_scheme: none", .none, nil),
        ("key_id: k1\nsecret_env: SECRET", .authGateway, nil),
    ])
    func valid(extra: String, scheme: Profile.AuthScheme, header: String?) throws {
        let fixture = ConfigFixture(["c.yaml": Self.yaml(extra)])
        let result = fixture.load("c.yaml", environment: Self.environment)
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics.map(\.headline))")
        #expect(profile.authScheme == scheme)
        #expect(profile.authHeader == header)
    }

    @Test("keys of another scheme are errors naming the scheme, at their location", arguments: [
        ("auth_scheme: bearer\nsecret_env: SECRET\nkey_id: k1", "c.yaml:7:13: error: profiles.prod.key_id: `key_id` belongs to `auth_scheme: auth-gateway`, and this profile uses bearer"),
        ("auth_scheme: bearer\nsecret_env: SECRET\nsigning: {encoding: base64}", "c.yaml:7:25: error: profiles.prod.signing.encoding: `signing:` belongs to `auth_scheme: auth-gateway`, and this profile uses bearer"),
        ("auth_scheme: bearer\nsecret_env: SECRET\nauth_header: x-api-key", "c.yaml:7:18: error: profiles.prod.auth_header: `auth_header` belongs to `auth_scheme: header`, and this profile uses bearer"),
        ("auth_scheme: header\nsecret_env: SECRET", "c.yaml:2:3: error: profiles.prod: missing required key `auth_header`"),
        ("auth_scheme: header\nauth_header: connection\nsecret_env: SECRET", "c.yaml:6:18: error: profiles.prod.auth_header: \"connection\" is a hop-by-hop, framing or MCP header"),
        ("auth_scheme: header\nauth_header: \"x api\"\nsecret_env: SECRET", "c.yaml:6:18: error: profiles.prod.auth_header: \"x api\" is not a valid header name"),
        ("auth_scheme: none\nsecret_env: SECRET", "c.yaml:6:17: error: profiles.prod.secret_env: `auth_scheme: none` sends no credential, so this profile takes no secret"),
        ("auth_scheme: basic", "c.yaml:5:18: error: profiles.prod.auth_scheme: \"basic\" is not one of auth-gateway, bearer, header, none"),
        ("auth_scheme: bearer", "c.yaml:2:3: error: profiles.prod: missing required key `secret_env`"),
    ])
    func misplacedKeys(extra: String, expected: String) {
        let errors = ConfigFixture.errors(Self.yaml(extra), environment: Self.environment)
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("key_id and signing inherited from defaults are ignored by other schemes")
    func defaultsDoNotLeak() throws {
        let yaml = "defaults:\n  key_id: shared\n  signing: {encoding: base64}\n" + Self.yaml("auth_scheme: bearer\nsecret_env: SECRET")
        let fixture = ConfigFixture(["c.yaml": yaml])
        let result = fixture.load("c.yaml", environment: Self.environment)
        #expect(result.diagnostics.errors.isEmpty, "\(result.diagnostics.map(\.headline))")
        #expect(result.config?.profiles.first?.credentialHeaders == ["authorization"])
    }

    @Test("check's settings name the scheme and never show the credential")
    func effectiveSettings() throws {
        let fixture = ConfigFixture(["c.yaml": Self.yaml("auth_scheme: header\nauth_header: x-api-key\nsecret_env: SECRET")])
        let profile = try #require(fixture.load("c.yaml", environment: Self.environment).config?.profiles.first)
        let settings = Dictionary(uniqueKeysWithValues: profile.effectiveSettings.map { ($0.key, $0.value) })
        #expect(settings["auth_scheme"] == "header" && settings["auth_header"] == "x-api-key")
        #expect(settings["key_id"] == nil && settings["signing.algorithm"] == nil)
        #expect(!settings.values.contains { $0.contains("0123456789abcdef-secret") })
    }
}
