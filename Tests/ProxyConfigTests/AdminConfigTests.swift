import Testing
@testable import ProxyConfig

/// The `admin:` block: off by default, loopback by default, errors at their location.
@Suite("admin block")
struct AdminConfigTests {
    private func load(_ yaml: String, environment: [String: String] = ["SECRET": "0123456789abcdef-secret"]) -> ConfigLoadResult {
        ConfigFixture(["c.yaml": yaml]).load("c.yaml", environment: environment)
    }

    @Test("no block and no variable: no admin listener")
    func absent() {
        #expect(load(profileYAML()).config?.admin == nil)
    }

    @Test("an empty block listens on 127.0.0.1:9464; keys and variables override, variables last")
    func defaultsAndOverrides() throws {
        let empty = try #require(load("admin:\n" + profileYAML()).config?.admin)
        #expect(empty.listenHost == "127.0.0.1" && empty.listenPort == 9464 && !empty.allowRemote)
        let set = try #require(load("admin:\n  listen_port: 9100\n  listen_host: ::1\n" + profileYAML()).config?.admin)
        #expect(set.listenHost == "::1" && set.listenPort == 9100)
        let overridden = try #require(load("admin:\n  listen_port: 9100\n" + profileYAML(),
                                           environment: ["SECRET": "0123456789abcdef-secret", "MCP_AUTH_PROXY_ADMIN_PORT": "9200"]).config?.admin)
        #expect(overridden.listenPort == 9200)
        #expect(overridden.origins["listen_port"] == .environment(variable: "MCP_AUTH_PROXY_ADMIN_PORT"))
    }

    @Test("a variable alone turns the admin listener on")
    func variableAlone() throws {
        let admin = try #require(load(profileYAML(), environment: ["SECRET": "0123456789abcdef-secret", "MCP_AUTH_PROXY_ADMIN_HOST": "127.0.0.1"]).config?.admin)
        #expect(admin.listenPort == 9464)
    }

    @Test("each bad admin value is reported at its location", arguments: [
        ("admin:\n  listen_host: 0.0.0.0\n", "c.yaml:2:16: error: admin.listen_host: 0.0.0.0 is not a loopback address; the admin endpoints would be open to the network"),
        ("admin:\n  listen_port: 8931\n", "c.yaml:2:16: error: admin.listen_port: port 8931 is already the listen_port of profile `prod`"),
        ("admin:\n  listen_port: 99999\n", "c.yaml:2:16: error: admin.listen_port: \"99999\" is not a port number"),
        ("admin:\n  port: 9464\n", "c.yaml:2:3: error: admin.port: unknown key `port`"),
        ("admin: 9464\n", "c.yaml:1:8: error: admin: expected a mapping with listen_host and listen_port, found a scalar"),
        ("admin:\n  allow_remote: yes\n", "c.yaml:2:17: error: admin.allow_remote: \"yes\" is not a boolean"),
    ])
    func badValues(prefix: String, expected: String) {
        let errors = ConfigFixture.errors(prefix + profileYAML())
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("a remote admin listener is accepted only with allow_remote: true")
    func remote() {
        #expect(load("admin:\n  listen_host: 0.0.0.0\n  allow_remote: true\n" + profileYAML()).config?.admin?.listenHost == "0.0.0.0")
    }

    @Test("a bad variable is reported by its name")
    func badVariable() {
        let errors = ConfigFixture.errors(profileYAML(), environment: ["SECRET": "0123456789abcdef-secret", "MCP_AUTH_PROXY_ADMIN_PORT": "http"])
        #expect(errors.contains { $0.contains("MCP_AUTH_PROXY_ADMIN_PORT") && $0.contains("\"http\" is not a port number") }, "got \(errors)")
    }

    @Test("two files may not both configure admin")
    func twoBlocks() {
        let fixture = ConfigFixture(["a.yaml": "admin:\n" + profileYAML(), "b.yaml": "admin:\n" + profileYAML(port: 8932, name: "dev")])
        let errors = fixture.load().diagnostics.errors.map(\.headline)
        #expect(errors.contains { $0.contains("`admin:` is also configured in") }, "got \(errors)")
    }
}
