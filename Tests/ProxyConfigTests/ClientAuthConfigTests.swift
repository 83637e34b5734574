import Foundation
import ProxyConfig
import Testing

@Suite("client_auth and client_tokens")
struct ClientAuthConfigTests {
    static let token = String(repeating: "t0", count: 16)
    static let environment = ["SECRET": "0123456789abcdef-secret", "ALICE_TOKEN": token, "CI_TOKEN": String(repeating: "c9", count: 16), "SHORT": "short-token"]

    func load(_ extra: String) -> ConfigLoadResult {
        ConfigFixture(["c.yaml": profileYAML(extra)]).load("c.yaml", environment: Self.environment)
    }

    func errors(_ extra: String) -> [String] {
        ConfigFixture.errors(profileYAML(extra), environment: Self.environment)
    }

    @Test("bearer with tokens from the environment and a file; check names the clients, never a token")
    func valid() throws {
        let fixture = ConfigFixture()
        fixture.write("ci-token", String(repeating: "f7", count: 20) + "\n")
        fixture.write("c.yaml", profileYAML("client_auth: bearer\nclient_tokens:\n  - name: alice-laptop\n    token_env: ALICE_TOKEN\n  - name: ci\n    token_file: \(fixture.path("ci-token"))"))
        let result = fixture.load("c.yaml", environment: Self.environment)
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics)")
        guard case .bearer(let tokens) = profile.clientAuth else { Issue.record("not bearer"); return }
        #expect(tokens.map(\.name) == ["alice-laptop", "ci"])
        #expect(tokens[1].token.bytes.count == 40, "trailing newline removed")
        let shown = profile.effectiveSettings.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        #expect(shown.contains("client_tokens=alice-laptop (env ALICE_TOKEN, 32 bytes), ci (file "))
        #expect(!shown.contains(Self.token) && !shown.contains("f7f7"))
    }

    @Test("allow_remote: true needs client_auth chosen; client_auth: none there is a warning, not an error")
    func remote() {
        let missing = errors("listen_host: 0.0.0.0\nallow_remote: true")
        #expect(missing.contains { $0.contains("profiles.prod.allow_remote: `allow_remote: true` needs `client_auth` chosen deliberately") }, "\(missing)")
        let acknowledged = load("listen_host: 0.0.0.0\nallow_remote: true\nclient_auth: none")
        #expect(acknowledged.config != nil)
        #expect(acknowledged.diagnostics.contains { $0.severity == .warning && $0.message.contains("anyone who can reach 0.0.0.0 can use this profile's key") })
    }

    @Test("each mistake is an error at its place, with a fix", arguments: [
        ("client_auth: bearer", "missing required key `client_tokens`"),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_env: SHORT", "is 11 bytes; client tokens need at least 32"),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_env: ALICE_TOKEN\n  - name: a\n    token_env: CI_TOKEN", "duplicate client name \"a\""),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_env: ALICE_TOKEN\n  - name: b\n    token_env: ALICE_TOKEN", "has the same token as another client"),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_env: UNSET_VARIABLE", "UNSET_VARIABLE of client \"a\" is not set"),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token: abc", "tokens are never written in a config file"),
        ("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_env: ALICE_TOKEN\n    token_file: /x", "needs exactly one of `token_env` and `token_file`"),
        ("client_auth: bearer\nclient_tokens:\n  - token_env: ALICE_TOKEN", "needs a `name`"),
        ("client_auth: bearer\nclient_tokens: ALICE_TOKEN", "expected a list of client tokens"),
        ("client_auth: none\nclient_tokens:\n  - name: a\n    token_env: ALICE_TOKEN", "`client_tokens` belong to `client_auth: bearer`"),
        ("client_auth: mtls", "is not one of none, bearer"),
    ])
    func mistakes(_ extra: String, _ expected: String) {
        let found = errors(extra)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
    }

    @Test("a token file readable by others earns a warning")
    func tokenFileMode() {
        let fixture = ConfigFixture()
        fixture.write("t", String(repeating: "e5", count: 20), mode: 0o644)
        fixture.write("c.yaml", profileYAML("client_auth: bearer\nclient_tokens:\n  - name: a\n    token_file: \(fixture.path("t"))"))
        let result = fixture.load("c.yaml", environment: Self.environment)
        #expect(result.config != nil)
        #expect(result.diagnostics.contains { $0.severity == .warning && $0.message.contains("readable by group or others") })
    }
}
