/// `tools:` — the profile's tool policy (see `ToolPolicy`).
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: no policy. `by_scope` needs `client_auth: oauth`.
    mutating func toolPolicyValue(clientAuth: ClientAuth.Mode?) -> ToolPolicy?? {
        guard let source = written("tools") else { return .some(nil) }
        origins["tools"] = source.origin
        guard let node = source.node, case .mapping(let entries) = node.content else {
            report(source, "expected \(ConfigKey.Kind.toolPolicy.expectation), found \(source.foundDescription)",
                   fix: "write `tools:` with `allow: [\"search_*\"]` and/or `deny: [\"*delete*\"]` indented under it")
            return nil
        }
        var lists: [String: [String]] = [:]
        var byScope: [ToolPolicy.ScopeRule] = []
        for entry in entries {
            let at = FieldSource(value: .node(entry.key), origin: Self.origin(source.origin, entry.key.mark), keyPath: source.keyPath)
            guard let key = entry.key.scalar, ["allow", "deny", "by_scope"].contains(key) else {
                let fix = entry.key.scalar.flatMap { Suggestion.closest(to: $0, among: ["allow", "deny", "by_scope"]) }.map { "did you mean `\($0)`?" }
                report(at, "unknown key \(quoted(entry.key.scalar ?? "?")) under `tools`; it takes `allow`, `deny` and `by_scope`", fix: fix)
                return nil
            }
            if key == "by_scope" {
                guard clientAuth == .oauth || clientAuth == nil else {
                    report(at, "`tools.by_scope` decides by the scopes of a client's OAuth token, and this profile has no `client_auth: oauth`",
                           fix: "set `client_auth: oauth` with `client_oauth:`, or remove `by_scope`")
                    return nil
                }
                guard let rules = scopeRules(entry.value, at: at, origin: source) else { return nil }
                byScope = rules
                continue
            }
            guard let patterns = patternList(entry.value, key: "tools.\(key)", at: at, origin: source) else { return nil }
            lists[key] = patterns
        }
        guard lists["allow"] != nil || lists["deny"] != nil || !byScope.isEmpty else {
            report(source, "`tools` needs `allow`, `deny`, `by_scope` or some of them", fix: "write `deny: [\"*delete*\"]`, or remove `tools`")
            return nil
        }
        return .some(ToolPolicy(allow: lists["allow"], deny: lists["deny"] ?? [], byScope: byScope))
    }

    /// A list of non-empty glob patterns (`tools.allow`, `audit.redact`): `of` names what they
    /// match, `example` the list a fix suggests.
    mutating func patternList(_ node: YAMLNode, key: String, at: FieldSource, origin source: FieldSource, of matched: String = "tool name",
                              example: String = #"["search_*", "get_issue"]"#) -> [String]? {
        guard case .sequence(let items) = node.content else {
            report(at, "`\(key)` must be a list of \(matched) patterns", fix: "write `\(key.split(separator: ".").last ?? ""): \(example)`")
            return nil
        }
        var patterns: [String] = []
        for item in items {
            guard let pattern = item.scalar, !item.isNull, !pattern.isEmpty else {
                report(FieldSource(value: .node(item), origin: Self.origin(source.origin, item.mark), keyPath: source.keyPath),
                       "a \(matched) pattern must be a non-empty string", fix: "use \(matched)s with `*` and `?` wildcards")
                return nil
            }
            patterns.append(pattern)
        }
        return patterns
    }

    /// `by_scope: {"mcp:read": {allow: [...], deny: [...]}, ...}`.
    private mutating func scopeRules(_ node: YAMLNode, at: FieldSource, origin source: FieldSource) -> [ToolPolicy.ScopeRule]? {
        guard case .mapping(let scopes) = node.content, !scopes.isEmpty else {
            report(at, "`tools.by_scope` maps scopes to rules", fix: "write `by_scope: {\"mcp:read\": {allow: [\"get_*\"]}}`")
            return nil
        }
        var rules: [ToolPolicy.ScopeRule] = []
        for scopeEntry in scopes {
            let scopeAt = FieldSource(value: .node(scopeEntry.key), origin: Self.origin(source.origin, scopeEntry.key.mark), keyPath: source.keyPath)
            guard let scope = scopeEntry.key.scalar, TokenRules.isScope(scope) else {
                report(scopeAt, "\(quoted(scopeEntry.key.scalar ?? "?")) is not a scope", fix: "write a scope token such as mcp:read (visible ASCII, no spaces, quotes or backslashes)")
                return nil
            }
            guard !rules.contains(where: { $0.scope == scope }) else {
                report(scopeAt, "the scope \(quoted(scope)) has two rules", fix: "merge them into one")
                return nil
            }
            guard case .mapping(let entries) = scopeEntry.value.content else {
                report(scopeAt, "the rule of scope \(quoted(scope)) must be a mapping with `allow` and/or `deny`", fix: "write `{allow: [\"get_*\"], deny: []}`")
                return nil
            }
            var lists: [String: [String]] = [:]
            for entry in entries {
                let keyAt = FieldSource(value: .node(entry.key), origin: Self.origin(source.origin, entry.key.mark), keyPath: source.keyPath)
                guard let key = entry.key.scalar, key == "allow" || key == "deny" else {
                    report(keyAt, "unknown key \(quoted(entry.key.scalar ?? "?")) in the rule of scope \(quoted(scope)); it takes `allow` and `deny`")
                    return nil
                }
                guard let patterns = patternList(entry.value, key: "tools.by_scope.\(scope).\(key)", at: keyAt, origin: source) else { return nil }
                lists[key] = patterns
            }
            rules.append(ToolPolicy.ScopeRule(scope: scope, allow: lists["allow"], deny: lists["deny"] ?? []))
        }
        return rules
    }
}
