import ProxyConfig
import Testing

@Suite("tool policy: globs and decisions")
struct ToolPolicyTests {
    @Test("globs: * matches any run (also none), ? exactly one character, case-sensitive, no backtracking blow-up", arguments: [
        ("search_*", "search_issues", true), ("search_*", "search_", true), ("search_*", "Search_issues", false),
        ("*delete*", "delete", true), ("*delete*", "bulk_delete_repo", true), ("*delete*", "del_ete", false),
        ("get_?ssue", "get_issue", true), ("get_?ssue", "get_ssue", false), ("?", "é", true), ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false), ("", "", true), ("", "x", false), ("*", "", true), ("exact", "exact", true),
        ("tool.name[1]", "tool.name[1]", true), (String(repeating: "*a", count: 30) + "b", String(repeating: "a", count: 200), false),
    ])
    func glob(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(ToolPolicy.glob(pattern, matches: name) == expected, "\(pattern) ~ \(name)")
    }

    @Test("allow narrows, deny wins, no allow means every tool but the denied ones")
    func decisions() {
        let both = ToolPolicy(allow: ["search_*", "get_issue"], deny: ["*delete*", "search_secrets"])
        #expect(both.allows("search_code") && both.allows("get_issue"))
        #expect(!both.allows("search_secrets") && !both.allows("create_issue") && !both.allows("get_issue_delete"))
        let denyOnly = ToolPolicy(allow: nil, deny: ["*delete*"])
        #expect(denyOnly.allows("anything") && !denyOnly.allows("delete_repo"))
        let emptyAllow = ToolPolicy(allow: [], deny: [])
        #expect(!emptyAllow.allows("search"), "an empty allow list allows nothing")
    }

    @Test("the tools block is validated and shown by check")
    func config() throws {
        let fixture = ConfigFixture(["c.yaml": profileYAML("tools:\n  allow: [\"search_*\"]\n  deny: [\"*delete*\"]")])
        let profile = try #require(fixture.load("c.yaml").config?.profiles.first)
        #expect(profile.toolPolicy == ToolPolicy(allow: ["search_*"], deny: ["*delete*"]))
        let shown = profile.effectiveSettings.map { "\($0.key)=\($0.value)" }
        #expect(shown.contains("tools.allow=[search_*]") && shown.contains("tools.deny=[*delete*]"))
        #expect(ConfigFixture.errors(profileYAML("tools:\n  alow: [x]")).contains { $0.contains("unknown key \"alow\" under `tools`") })
        #expect(ConfigFixture.errors(profileYAML("tools: [x]")).contains { $0.contains("expected a mapping with allow and deny lists") })
        #expect(ConfigFixture.errors(profileYAML("tools:\n  deny: \"*\"")).contains { $0.contains("must be a list of tool name patterns") })
    }

    /// The table in docs/behaviour.md ("Tools by scope"), row by row.
    @Test("by_scope: no listed scope gets the profile's rules; listed scopes grant the union of their rules; the profile's deny is a floor")
    func byScope() {
        let policy = ToolPolicy(allow: nil, deny: ["*delete*"], byScope: [
            .init(scope: "mcp:admin", allow: ["*"], deny: []),
            .init(scope: "mcp:read", allow: ["get_*", "list_*"], deny: ["get_secret"]),
            .init(scope: "mcp:ops", allow: nil, deny: ["restart"]),
        ])
        let plain = policy.forScopes(["mcp"])
        #expect(plain.allows("create_issue") && !plain.allows("delete_repo"))
        let reader = policy.forScopes(["mcp", "mcp:read"])
        #expect(reader.allows("get_issue") && reader.allows("list_repos"))
        #expect(!reader.allows("create_issue") && !reader.allows("get_secret"))
        let admin = policy.forScopes(["mcp:admin"])
        #expect(admin.allows("create_issue") && !admin.allows("delete_repo"), "no scope lifts the profile's deny")
        let both = policy.forScopes(["mcp:read", "mcp:admin"])
        #expect(both.allows("get_secret"), "one scope's deny does not take away what another grants")
        let ops = policy.forScopes(["mcp:ops"])
        #expect(ops.allows("create_issue") && !ops.allows("restart"), "a rule without allow takes the profile's")
        let narrowed = ToolPolicy(allow: ["search_*"], deny: [], byScope: [.init(scope: "mcp:write", allow: ["create_*"], deny: [])])
        #expect(narrowed.forScopes([]).allows("search_x") && !narrowed.forScopes([]).allows("create_x"))
        #expect(narrowed.forScopes(["mcp:write"]).allows("create_x") && !narrowed.forScopes(["mcp:write"]).allows("search_x"))
    }

    @Test("by_scope belongs to client_auth: oauth and is checked rule by rule")
    func byScopeConfig() {
        #expect(ConfigFixture.errors(profileYAML("tools:\n  by_scope:\n    \"mcp:read\": {allow: [get_*]}")).contains {
            $0.contains("`tools.by_scope` decides by the scopes of a client's OAuth token")
        })
    }
}
