import Foundation
import Testing
@testable import ProxyConfig

@Suite("where values come from")
struct PrecedenceTests {
    @Test("override > profile > file defaults > built-in default, each origin recorded")
    func layering() throws {
        let yaml = """
        defaults:
          heartbeat_interval: 30s
          request_timeout: 60s
          signing:
            encoding: base64
        profiles:
          prod:
            upstream_url: https://mcp.example.com/mcp
            key_id: prod-key-1
            secret_env: SECRET
            listen_port: 8931
            request_timeout: 90s
            signing:
              algorithm: hmac-sha512
        """
        let fixture = ConfigFixture(["c.yaml": yaml])
        let result = fixture.load("c.yaml", environment: ["SECRET": "0123456789abcdef", "MCP_PROD_LISTEN_PORT": "9100", "MCP_LISTEN_PORT": "9200"])
        let profile = try #require(result.config?.profiles.first)
        #expect(profile.listenPort == 9100)
        #expect(profile.origins["listen_port"] == .environment(variable: "MCP_PROD_LISTEN_PORT"))
        #expect(profile.requestTimeout == .seconds(90))
        #expect(profile.heartbeatInterval == .seconds(30))
        #expect(profile.origins["heartbeat_interval"]?.description == fixture.path("c.yaml") + ":2")
        #expect(profile.connectTimeout == .seconds(5))
        #expect(profile.origins["connect_timeout"] == .builtInDefault)
        #expect(profile.signing.algorithm == .hmacSHA512)
        #expect(profile.signing.encoding == .base64)
        #expect(profile.secret.bytes == Array("0123456789abcdef".utf8))
    }

    @Test("unprefixed variables apply to a single selected profile only")
    func unprefixed() throws {
        let fixture = ConfigFixture(["a.yaml": profileYAML(), "b.yaml": profileYAML(port: 9000, name: "staging")])
        let env = ["SECRET": "0123456789abcdef", "MCP_API_KEY": "other-key"]
        let one = try #require(fixture.load(profiles: ["staging"], environment: env).config)
        #expect(one.profiles.map(\.keyID) == ["other-key"])
        let both = fixture.load(environment: env)
        #expect(both.config?.profiles.map(\.keyID) == ["prod-key-1", "prod-key-1"])
        #expect(both.diagnostics.warnings.first?.headline.hasPrefix("env MCP_API_KEY: warning: ignored") == true)
    }

    @Test("the secret can come from MCP_<N>_API_SECRET and a dash becomes an underscore")
    func secretOverride() throws {
        let fixture = ConfigFixture(["a.yaml": profileYAML(name: "team-a")])
        let config = try #require(fixture.load(environment: ["MCP_TEAM_A_API_SECRET": "from-the-environment"]).config)
        #expect(config.profiles[0].secret.source == .environment(variable: "MCP_TEAM_A_API_SECRET"))
    }

    @Test("merge keys and anchors work in profiles")
    func anchors() throws {
        let yaml = """
        x-base: &base
          key_id: shared
          secret_env: SECRET
        profiles:
          a:
            <<: *base
            upstream_url: https://a.example/mcp
            listen_port: 9001
          b:
            <<: *base
            key_id: own
            upstream_url: https://b.example/mcp
            listen_port: 9002
        """
        // A top-level helper key is an unknown key: anchors must live inside the schema.
        #expect(ConfigFixture.errors(yaml).first?.contains("unknown key `x-base`") == true)
        let inDefaults = yaml.replacingOccurrences(of: "x-base: &base", with: "defaults:\n  listen_host: 127.0.0.1\n  signing: &base")
            .replacingOccurrences(of: "  key_id: shared\n  secret_env: SECRET", with: "    encoding: hex")
        let fixture = ConfigFixture(["c.yaml": inDefaults.replacingOccurrences(of: "<<: *base", with: "<<: {key_id: shared, secret_env: SECRET}")])
        let config = try #require(fixture.load("c.yaml").config, "\(fixture.load("c.yaml").diagnostics)")
        #expect(config.profiles.map(\.keyID) == ["shared", "own"])
    }

    @Test("a directory contributes its *.yaml and *.yml files in name order")
    func directory() throws {
        let fixture = ConfigFixture(["b.yml": profileYAML(port: 9002, name: "b"), "a.yaml": profileYAML(port: 9001, name: "a"), "notes.txt": "ignored"])
        let config = try #require(fixture.load().config)
        #expect(config.profiles.map(\.name) == ["a", "b"])
        #expect(config.files.map { ($0 as NSString).lastPathComponent } == ["a.yaml", "b.yml"])
    }

    @Test("environment-only mode builds a `default` profile")
    func environmentOnly() throws {
        let env = ["MCP_UPSTREAM_URL": "https://mcp.example.com/mcp", "MCP_API_KEY": "k1", "MCP_API_SECRET": "0123456789abcdef"]
        let result = ConfigLoader.load(ConfigRequest(environment: env, workingDirectory: "/"))
        let profile = try #require(result.config?.profiles.first)
        #expect(profile.name == "default")
        #expect(profile.listenPort == 8080)
        #expect(profile.listenHost == "127.0.0.1")
        let missing = ConfigLoader.load(ConfigRequest(environment: ["MCP_UPSTREAM_URL": "https://mcp.example.com/mcp"], workingDirectory: "/"))
        #expect(missing.diagnostics.errors.map(\.headline) == ["env MCP_API_KEY: error: is not set", "env MCP_API_SECRET: error: is not set"])
    }

    @Test("short secrets and group-readable secret files are warnings, not errors")
    func warnings() throws {
        let fixture = ConfigFixture()
        fixture.write("secret", "short\n", mode: 0o644)
        fixture.write("c.yaml", profileYAML().replacingOccurrences(of: "secret_env: SECRET", with: "secret_file: \(fixture.path("secret"))"))
        let result = fixture.load("c.yaml")
        let config = try #require(result.config)
        #expect(config.profiles[0].secret.bytes == Array("short".utf8))
        let warnings = result.diagnostics.warnings.map(\.message)
        #expect(warnings.contains { $0.contains("readable by group or others (mode 644)") })
        #expect(warnings.contains("the secret is only 5 bytes long"))
    }

    @Test("unselected profiles are checked but their secrets are not read")
    func unselectedSecrets() {
        let fixture = ConfigFixture(["a.yaml": profileYAML(), "b.yaml": profileYAML(port: 9000, name: "staging").replacingOccurrences(of: "SECRET", with: "STAGING_SECRET")])
        #expect(fixture.load(profiles: ["prod"]).config?.profiles.map(\.name) == ["prod"])
        #expect(fixture.load().config == nil)
    }
}
