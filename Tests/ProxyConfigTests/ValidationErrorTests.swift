import Testing
@testable import ProxyConfig

/// Every error class the loader promises to catch, each with its exact location.
@Suite("strict validation")
struct ValidationErrorTests {
    @Test("a valid profile has no diagnostics")
    func valid() {
        #expect(ConfigFixture.errors(profileYAML()) == [])
    }

    @Test("each bad value is reported at its line and column", arguments: [
        ("allow_remote: yes", "c.yaml:7:19: error: profiles.prod.allow_remote: \"yes\" is not a boolean"),
        ("listen_prot: 1", "c.yaml:7:5: error: profiles.prod.listen_prot: unknown key `listen_prot`"),
        ("key_id: again", "c.yaml:7:5: error: profiles.prod.key_id: duplicate key; first set at line 4"),
        ("heartbeat_interval: 15 seconds", "c.yaml:7:25: error: profiles.prod.heartbeat_interval: \"15 seconds\" is not a duration"),
        ("connect_timeout: 0s", "c.yaml:7:22: error: profiles.prod.connect_timeout: \"0s\" is not a duration"),
        ("max_request_body: 4 megs", "c.yaml:7:23: error: profiles.prod.max_request_body: \"4 megs\" is not a size"),
        ("listen_host: 0.0.0.0", "c.yaml:7:18: error: profiles.prod.listen_host: 0.0.0.0 is not a loopback address"),
        ("listen_host: my-laptop", "c.yaml:7:18: error: profiles.prod.listen_host: \"my-laptop\" is not an IP address"),
        ("mcp_path: mcp", "c.yaml:7:15: error: profiles.prod.mcp_path: \"mcp\" is not a usable MCP path"),
        ("upstream_streaming: maybe", "c.yaml:7:25: error: profiles.prod.upstream_streaming: \"maybe\" is not one of auto, on, off"),
        ("signing: {algorithm: hmac-md5}", "c.yaml:7:26: error: profiles.prod.signing.algorithm: \"hmac-md5\" is not one of hmac-sha256"),
        ("signing: {signature_header: \"x sig\"}", "c.yaml:7:33: error: profiles.prod.signing.signature_header: \"x sig\" is not a valid header name"),
        ("signing: {colour: red}", "c.yaml:7:15: error: profiles.prod.signing.colour: unknown key `colour`"),
        ("secret: hunter2hunter2hunter2", "c.yaml:7:5: error: profiles.prod.secret: secrets cannot be written in a config file"),
        ("secret_file: /etc/passwd", "c.yaml:7:18: error: profiles.prod.secret_file: both `secret_env` and `secret_file` are set"),
        ("allowed_origins: https://a.example", "c.yaml:7:22: error: profiles.prod.allowed_origins: expected a list of origins, found a scalar"),
        ("allowed_origins: [\"https://a.example/path\"]", "c.yaml:7:23: error: profiles.prod.allowed_origins: \"https://a.example/path\" is not an origin"),
        ("ca_file: /nonexistent/ca.pem", "c.yaml:7:14: error: profiles.prod.ca_file: cannot read \"/nonexistent/ca.pem\""),
        ("allow_remote: [true]", "c.yaml:7:19: error: profiles.prod.allow_remote: expected true or false, found a list"),
    ])
    func badValue(extra: String, expected: String) {
        let errors = ConfigFixture.errors(profileYAML(extra))
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("the URL, key id and port are checked where they are written", arguments: [
        ("upstream_url: htps://x", "c.yaml:3:19: error: profiles.prod.upstream_url: \"htps://x\" is not an http(s) URL"),
        ("upstream_url: http://mcp.example.com/mcp", "c.yaml:3:19: error: profiles.prod.upstream_url: plain http to the non-loopback host mcp.example.com"),
        ("key_id: \"prod key\"", "c.yaml:4:13: error: profiles.prod.key_id: \"prod key\" is not a valid key id"),
        ("key_id: \"tab\\tkey\"", "c.yaml:4:13: error: profiles.prod.key_id: \"tab\\u{9}key\" is not a valid key id"),
        ("listen_port: 70000", "c.yaml:6:18: error: profiles.prod.listen_port: \"70000\" is not a port number (1-65535)"),
        ("secret_env: UNSET_VARIABLE", "c.yaml:5:17: error: profiles.prod.secret_env: the environment variable UNSET_VARIABLE is not set"),
    ])
    func replacedLine(replacement: String, expected: String) {
        let key = replacement.split(separator: ":")[0]
        let yaml = profileYAML().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.drop(while: { $0 == " " }).hasPrefix(key + ":") ? "    " + replacement : String(line)
        }.joined(separator: "\n")
        let errors = ConfigFixture.errors(yaml)
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("a quoted port is fine; plain http to loopback is fine")
    func lenientWhereSafe() {
        let yaml = profileYAML().replacingOccurrences(of: "listen_port: 8931", with: "listen_port: \"8080\"")
            .replacingOccurrences(of: "https://mcp.example.com/mcp", with: "http://127.0.0.1:9000/mcp")
        #expect(ConfigFixture.errors(yaml) == [])
    }

    @Test("http to a remote host is allowed when the profile says so")
    func insecureAllowed() {
        let yaml = profileYAML("allow_insecure_upstream: true").replacingOccurrences(of: "https://", with: "http://")
        #expect(ConfigFixture.errors(yaml) == [])
    }

    @Test("a missing key is reported at the profile's name")
    func missingKeys() {
        let errors = ConfigFixture.errors("profiles:\n  prod:\n    listen_port: 1\n")
        #expect(errors.contains("c.yaml:2:3: error: profiles.prod: missing required key `upstream_url`"))
        #expect(errors.contains("c.yaml:2:3: error: profiles.prod: missing required key `key_id`"))
        #expect(errors.contains("c.yaml:2:3: error: profiles.prod: missing required key `secret_env`"))
    }

    @Test("the shape of the document is checked", arguments: [
        ("- a\n- b\n", "c.yaml:1:1: error: the document must be a mapping"),
        ("profiles: [a, b]\n", "c.yaml:1:11: error: profiles: expected a mapping of profile names"),
        ("profiles:\n  Prod!: {}\n", "c.yaml:2:3: error: profiles.Prod!: \"Prod!\" is not a valid profile name"),
        ("profiles:\n  prod: 3\n", "c.yaml:2:9: error: profiles.prod: expected a mapping of profile keys"),
        ("version: 2\nprofiles: {}\n", "c.yaml:1:10: error: version: unsupported schema version \"2\""),
        ("profile:\n  prod: {}\n", "c.yaml:1:1: error: profile: unknown key `profile`"),
        ("profiles: {}\n", "c.yaml:1:1: error: no profile is defined"),
        ("", "c.yaml:1:1: error: the document must be a mapping"),
        ("profiles:\n  prod: {}\n---\nprofiles: {}\n", "c.yaml:3:1: error: several YAML documents in one file"),
        ("profiles:\n  prod:\n    key_id: [unclosed\n", "c.yaml:4:1: error: YAML syntax"),
        ("defaults:\n  upstream_url: https://x.example\nprofiles: {}\n", "c.yaml:2:3: error: defaults.upstream_url: `upstream_url` cannot be a default"),
    ])
    func documentShape(yaml: String, expected: String) {
        let errors = ConfigFixture.errors(yaml)
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("an unknown key gets a did-you-mean fix")
    func didYouMean() {
        let fixture = ConfigFixture(["c.yaml": profileYAML("upstream_streeming: on")])
        let diagnostic = fixture.load("c.yaml").diagnostics.errors.first
        #expect(diagnostic?.fixIt == "did you mean `upstream_streaming`?")
    }

    @Test("every problem is reported in one run")
    func allAtOnce() {
        let errors = ConfigFixture.errors(profileYAML("allow_remote: yes\nheartbeat_interval: soon\nlisten_prot: 1"))
        #expect(errors.count == 3)
        #expect(errors == errors.sorted())
    }

    @Test("duplicate profile names across files name both places")
    func duplicateAcrossFiles() {
        let fixture = ConfigFixture(["a.yaml": profileYAML(), "b.yaml": profileYAML(port: 9000)])
        let errors = fixture.load().diagnostics.errors.map(\.headline)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("b.yaml:2:3: error: profiles.prod: profile `prod` is also defined at \(fixture.path("a.yaml")):2:3") == true)
    }

    @Test("two selected profiles on one address are refused")
    func duplicateListenAddress() {
        let fixture = ConfigFixture(["a.yaml": profileYAML(), "b.yaml": profileYAML(name: "staging")])
        let errors = fixture.load().diagnostics.errors.map(\.headline)
        #expect(errors.contains { $0.contains("b.yaml:6:18: error: profiles.staging.listen_port: 127.0.0.1:8931 is already used by profile `prod`") })
        #expect(fixture.load(profiles: ["staging"]).diagnostics.errors.isEmpty)
    }

    @Test("--profile naming no profile lists the known ones")
    func unknownProfile() {
        let fixture = ConfigFixture(["a.yaml": profileYAML()])
        let diagnostic = fixture.load(profiles: ["prd"]).diagnostics.errors.first
        #expect(diagnostic?.headline == "command line --profile: error: no profile named `prd`")
        #expect(diagnostic?.fixIt == "did you mean `prod`? known profiles: prod")
    }

    @Test("an override is validated like a file value and named by its variable")
    func badOverride() {
        let fixture = ConfigFixture(["a.yaml": profileYAML()])
        let errors = fixture.load(environment: ["SECRET": "0123456789abcdef", "MCP_PROD_LISTEN_PORT": "80a"]).diagnostics.errors
        #expect(errors.map(\.headline) == ["env MCP_PROD_LISTEN_PORT: error: \"80a\" is not a port number (1-65535)"])
    }

    @Test("an unreadable secret file is an error, an empty variable too")
    func secretSources() {
        let yaml = profileYAML().replacingOccurrences(of: "secret_env: SECRET", with: "secret_file: /nonexistent/secret")
        #expect(ConfigFixture.errors(yaml).first?.hasPrefix("c.yaml:5:18: error: profiles.prod.secret_file: cannot read the secret file") == true)
        let empty = ConfigFixture.errors(profileYAML(), environment: ["SECRET": ""])
        #expect(empty == ["c.yaml:5:17: error: profiles.prod.secret_env: the environment variable SECRET is empty"])
        let none = ConfigFixture.errors(profileYAML().replacingOccurrences(of: "    secret_env: SECRET\n", with: ""))
        #expect(none == ["c.yaml:2:3: error: profiles.prod: missing required key `secret_env`"])
    }

    @Test("no configuration at all is an error with a fix")
    func nothingFound() {
        let result = ConfigLoader.load(ConfigRequest(environment: [:], workingDirectory: "/"))
        #expect(result.diagnostics.errors.first?.message == "no configuration found")
    }
}
