import Foundation
import ProxyConfig
import Testing

@Suite("listen_unix and listen_unix_mode")
struct UnixListenConfigTests {
    func yaml(_ lines: String) -> String {
        "profiles:\n  prod:\n    upstream_url: https://mcp.example.com/mcp\n    key_id: k1\n    secret_env: SECRET\n"
            + lines.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
    }

    @Test("a socket path replaces host and port; the mode defaults to 0600; check shows both")
    func valid() throws {
        let result = ConfigFixture(["c.yaml": yaml("listen_unix: /run/user/1000/mcp/prod.sock\nlisten_unix_mode: \"0660\"")]).load("c.yaml")
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics)")
        #expect(profile.listenUnix == UnixListen(path: "/run/user/1000/mcp/prod.sock", mode: 0o660))
        #expect(profile.listenDescription == "unix:/run/user/1000/mcp/prod.sock")
        let shown = profile.effectiveSettings.map { "\($0.key)=\($0.value)" }
        #expect(shown.contains("listen_unix=/run/user/1000/mcp/prod.sock") && shown.contains("listen_unix_mode=0660"))
        #expect(!shown.contains { $0.hasPrefix("listen_port=") })
        let plain = try #require(ConfigFixture(["c.yaml": yaml("listen_unix: /tmp/a.sock")]).load("c.yaml").config?.profiles.first)
        #expect(plain.listenUnix?.mode == 0o600)
    }

    @Test("each mistake is an error at its key", arguments: [
        ("listen_unix: relative/prod.sock", "is not a usable socket path"),
        ("listen_unix: /tmp/\(String(repeating: "x", count: 120)).sock", "is not a usable socket path"),
        ("listen_unix: /tmp/a.sock\nlisten_port: 8931", "`listen_port` and `listen_unix` both say where to listen"),
        ("listen_unix: /tmp/a.sock\nlisten_unix_mode: rw", "is not a file mode"),
        ("listen_port: 8931\nlisten_unix_mode: \"0600\"", "`listen_unix_mode` belongs to `listen_unix`"),
    ])
    func mistakes(_ lines: String, _ expected: String) {
        let errors = ConfigFixture.errors(yaml(lines))
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }

    @Test("a mode that lets every local user in earns a warning; two profiles cannot share a socket")
    func warningsAndClashes() {
        let open = ConfigFixture(["c.yaml": yaml("listen_unix: /tmp/a.sock\nlisten_unix_mode: \"0666\"")]).load("c.yaml")
        #expect(open.diagnostics.contains { $0.severity == .warning && $0.message.contains("lets every local user connect") })
        let two = "profiles:\n  a: {upstream_url: \"https://x.example/mcp\", key_id: k, secret_env: SECRET, listen_unix: /tmp/same.sock}\n"
            + "  b: {upstream_url: \"https://x.example/mcp\", key_id: k, secret_env: SECRET, listen_unix: /tmp/same.sock}\n"
        #expect(ConfigFixture.errors(two).contains { $0.contains("/tmp/same.sock is already used by profile `a`") })
    }
}
