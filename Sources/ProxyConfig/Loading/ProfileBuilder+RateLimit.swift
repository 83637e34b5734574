/// `rate_limit:` — token buckets per client and per profile (see `RateLimitSettings`).
extension ProfileBuilder {
    /// Outer nil: invalid; `.some(nil)`: no limits.
    mutating func rateLimitValue() -> RateLimitSettings?? {
        let keys = SchemaKeys.rateLimit.map { "rate_limit.\($0)" }
        guard keys.contains(where: { written($0) != nil }) else { return .some(nil) }
        let perClient = rate("rate_limit.per_client")
        let perProfile = rate("rate_limit.per_profile")
        let toolsCallOnly = bool("rate_limit.tools_call_only", default: false)
        guard let perClient, let perProfile, let toolsCallOnly else { return nil }
        guard perClient != nil || perProfile != nil else {
            report(written("rate_limit.tools_call_only"), "`rate_limit` sets no limit",
                   fix: "add `per_client: {requests: 600, per: 1m}` and/or `per_profile: {requests: 5000, per: 1m}`")
            return nil
        }
        return .some(RateLimitSettings(perClient: perClient, perProfile: perProfile, toolsCallOnly: toolsCallOnly))
    }

    /// `{requests: N, per: duration, burst: N}`; `.some(nil)` when absent, nil when invalid.
    private mutating func rate(_ key: String) -> RateLimitSettings.Rate?? {
        guard let source = written(key) else { return .some(nil) }
        origins[key] = source.origin
        let example = "{requests: 600, per: 1m, burst: 60}"
        guard let node = source.node, case .mapping(let entries) = node.content else {
            report(source, "expected \(ConfigKey.Kind.rate.expectation), found \(source.foundDescription)", fix: "write `\(key.split(separator: ".").last ?? ""): \(example)`")
            return nil
        }
        var values: [String: (text: String, at: FieldSource)] = [:]
        for entry in entries {
            let path = "\(source.keyPath ?? key).\(entry.key.scalar ?? "?")"
            let at = FieldSource(value: .node(entry.value), origin: Self.origin(source.origin, entry.value.mark), keyPath: path)
            let allowed = ["requests", "per", "burst"]
            guard let name = entry.key.scalar, allowed.contains(name) else {
                let keyAt = FieldSource(value: .node(entry.key), origin: Self.origin(source.origin, entry.key.mark), keyPath: path)
                let fix = entry.key.scalar.flatMap { Suggestion.closest(to: $0, among: allowed) }.map { "did you mean `\($0)`?" } ?? "it takes requests, per and burst"
                report(keyAt, "unknown key \(quoted(entry.key.scalar ?? "?")) under `\(key)`", fix: fix)
                return nil
            }
            guard let text = at.scalar?.text else {
                report(at, "expected \(name == "per" ? "a duration" : "a whole number"), found \(at.foundDescription)")
                return nil
            }
            values[name] = (text, at)
        }
        guard let requestsText = values["requests"], let perText = values["per"] else {
            report(source, "`\(key)` needs `requests` and `per`", fix: "write `\(example)`")
            return nil
        }
        guard let requests = Self.wholeNumber(requestsText.text, maximum: RateLimitSettings.maximumCount) else {
            report(requestsText.at, "\(quoted(requestsText.text)) is not a whole number from 1 to \(RateLimitSettings.maximumCount)", fix: "write the number of requests per period, e.g. 600")
            return nil
        }
        guard let per = ConfigDuration.parse(perText.text) else {
            report(perText.at, "\(quoted(perText.text)) is not a duration", fix: "write a whole number with a unit: 1s, 1m, 1h")
            return nil
        }
        var burst: Int?
        if let burstText = values["burst"] {
            guard let value = Self.wholeNumber(burstText.text, maximum: RateLimitSettings.maximumCount) else {
                report(burstText.at, "\(quoted(burstText.text)) is not a whole number from 1 to \(RateLimitSettings.maximumCount)",
                       fix: "write how many requests may come at once, e.g. 60")
                return nil
            }
            burst = value
        }
        return .some(RateLimitSettings.Rate(requests: requests, per: per, burst: burst))
    }
}
