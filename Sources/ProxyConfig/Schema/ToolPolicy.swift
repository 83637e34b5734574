/// Which tools a profile may call (`tools: {allow: […], deny: […]}`): with `allow`, only tools
/// matching one of its patterns; `deny` applies after `allow` and wins. Patterns are globs with
/// `*` (any run of characters, also none) and `?` (exactly one character), compared
/// case-sensitively on Unicode scalars, as tool names are (MCP names are case-sensitive).
///
/// Under `client_auth: oauth`, `by_scope` grants tools by the token's scopes (docs/behaviour.md,
/// "Tools by scope"): a token that carries none of the listed scopes gets the profile's rules; one
/// that carries some may call what any of those scopes' rules allows (a rule without `allow`
/// takes the profile's). The profile's `deny` is a floor no scope lifts.
package struct ToolPolicy: Sendable, Hashable {
    package let allow: [String]?
    package let deny: [String]
    /// `by_scope`, in the order written.
    package let byScope: [ScopeRule]
    /// The rules of the scopes a token carries (`forScopes`); nil: the profile's `allow`.
    private let grants: [Grant]?

    /// Extra rules for tokens that carry `scope`.
    package struct ScopeRule: Sendable, Hashable {
        package let scope: String
        package let allow: [String]?
        package let deny: [String]

        package init(scope: String, allow: [String]?, deny: [String]) {
            self.scope = scope
            self.allow = allow
            self.deny = deny
        }
    }

    private struct Grant: Sendable, Hashable {
        let allow: [String]?
        let deny: [String]

        func allows(_ tool: String) -> Bool {
            if let allow, !allow.contains(where: { ToolPolicy.glob($0, matches: tool) }) { return false }
            return !deny.contains { ToolPolicy.glob($0, matches: tool) }
        }
    }

    package init(allow: [String]?, deny: [String], byScope: [ScopeRule] = []) {
        self.allow = allow
        self.deny = deny
        self.byScope = byScope
        grants = nil
    }

    private init(allow: [String]?, deny: [String], grants: [Grant]) {
        self.allow = allow
        self.deny = deny
        byScope = []
        self.grants = grants
    }

    package func allows(_ tool: String) -> Bool {
        if deny.contains(where: { Self.glob($0, matches: tool) }) { return false }
        if let grants { return grants.contains { $0.allows(tool) } }
        guard let allow else { return true }
        return allow.contains { Self.glob($0, matches: tool) }
    }

    /// The policy of a token carrying `scopes`: the same decision for `tools/call` and for the
    /// `tools/list` filter, since both ask `allows`.
    package func forScopes(_ scopes: some Sequence<String>) -> ToolPolicy {
        guard !byScope.isEmpty else { return self }
        let carried = Set(scopes)
        let rules = byScope.filter { carried.contains($0.scope) }
        guard !rules.isEmpty else { return ToolPolicy(allow: allow, deny: deny) }
        return ToolPolicy(allow: allow, deny: deny, grants: rules.map { Grant(allow: $0.allow ?? allow, deny: $0.deny) })
    }

    /// Iterative glob matching with backtracking to the last `*`: linear in practice, and no
    /// pattern can make it exponential. `?` is one Unicode scalar; ASCII names and patterns (the
    /// usual case) are matched on their UTF-8 bytes in place, with nothing allocated.
    package static func glob(_ pattern: String, matches name: String) -> Bool {
        var pattern = pattern, name = name
        if pattern.utf8.allSatisfy({ $0 < 0x80 }), name.utf8.allSatisfy({ $0 < 0x80 }) {
            return pattern.withUTF8 { pattern in
                name.withUTF8 { name in match(pattern, name, anyRun: UInt8(ascii: "*"), anyOne: UInt8(ascii: "?")) }
            }
        }
        return match(Array(pattern.unicodeScalars), Array(name.unicodeScalars), anyRun: "*", anyOne: "?")
    }

    private static func match<Text: RandomAccessCollection>(
        _ pattern: Text, _ name: Text, anyRun: Text.Element, anyOne: Text.Element
    ) -> Bool where Text.Element: Equatable, Text.Index == Int {
        var p = 0, n = 0
        var star: Int?, resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == anyOne || (pattern[p] != anyRun && pattern[p] == name[n]) {
                p += 1
                n += 1
            } else if p < pattern.count, pattern[p] == anyRun {
                star = p
                resume = n
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == anyRun { p += 1 }
        return p == pattern.count
    }
}
