/// `tools:` — the profile's tool policy (see `ToolPolicy`).
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: no policy.
    mutating func toolPolicyValue() -> ToolPolicy?? {
        guard let source = written("tools") else { return .some(nil) }
        origins["tools"] = source.origin
        guard let node = source.node, case .mapping(let entries) = node.content else {
            report(source, "expected \(ConfigKey.Kind.toolPolicy.expectation), found \(source.foundDescription)",
                   fix: "write `tools:` with `allow: [\"search_*\"]` and/or `deny: [\"*delete*\"]` indented under it")
            return nil
        }
        var lists: [String: [String]] = [:]
        for entry in entries {
            let at = FieldSource(value: .node(entry.key), origin: Self.origin(source.origin, entry.key.mark), keyPath: source.keyPath)
            guard let key = entry.key.scalar, key == "allow" || key == "deny" else {
                let fix = entry.key.scalar.flatMap { Suggestion.closest(to: $0, among: ["allow", "deny"]) }.map { "did you mean `\($0)`?" }
                report(at, "unknown key \(quoted(entry.key.scalar ?? "?")) under `tools`; it takes `allow` and `deny`", fix: fix)
                return nil
            }
            guard case .sequence(let items) = entry.value.content else {
                report(at, "`tools.\(key)` must be a list of tool name patterns", fix: "write `\(key): [\"search_*\", \"get_issue\"]`")
                return nil
            }
            var patterns: [String] = []
            for item in items {
                guard let pattern = item.scalar, !item.isNull, !pattern.isEmpty else {
                    report(FieldSource(value: .node(item), origin: Self.origin(source.origin, item.mark), keyPath: source.keyPath),
                           "a tool pattern must be a non-empty string", fix: "use tool names with `*` and `?` wildcards")
                    return nil
                }
                patterns.append(pattern)
            }
            lists[key] = patterns
        }
        guard lists["allow"] != nil || lists["deny"] != nil else {
            report(source, "`tools` needs `allow`, `deny` or both", fix: "write `deny: [\"*delete*\"]`, or remove `tools`")
            return nil
        }
        return .some(ToolPolicy(allow: lists["allow"], deny: lists["deny"] ?? []))
    }
}
