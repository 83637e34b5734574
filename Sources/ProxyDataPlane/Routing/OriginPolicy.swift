import ProxyConfig

/// DNS-rebinding and cross-site defence: which `Host` and `Origin` values a listener accepts.
///
/// Browsers attach `Origin` to cross-site requests; agents and CLIs usually send none. A request
/// with no `Origin` is accepted; one with an `Origin` must be a loopback origin or listed in
/// `allowed_origins`. `Host` must name the listener itself (a loopback name or its listen host),
/// which defeats a rebinding page whose `Host` is its own domain.
public struct OriginPolicy: Sendable {
    let listenHost: String
    let acceptsAnyHost: Bool
    let allowedOrigins: Set<String>

    public init(listenHost: String, allowRemote: Bool, allowedOrigins: [String]) {
        self.listenHost = listenHost.lowercased()
        // A remote listener is reached under names we cannot know; Origin still guards browsers.
        self.acceptsAnyHost = allowRemote
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    }

    public init(profile: Profile) {
        self.init(listenHost: profile.listenHost, allowRemote: profile.allowRemote, allowedOrigins: profile.allowedOrigins)
    }

    public func acceptsHost(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        if acceptsAnyHost { return true }
        guard let (host, _) = HostName.splitAuthority(value, defaultPort: 80) else { return false }
        return HostName.isLoopback(host) || host == listenHost
    }

    public func acceptsOrigin(_ value: String?) -> Bool {
        guard let value else { return true }
        let lower = value.lowercased()
        if allowedOrigins.contains(lower) { return true }
        guard let schemeEnd = lower.range(of: "://") else { return false }
        let scheme = lower[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        let authority = lower[schemeEnd.upperBound...]
        guard !authority.contains("/"), let (host, _) = HostName.splitAuthority(String(authority), defaultPort: 80) else { return false }
        return host == "localhost" || host == "::1" || HostName.ipv4Octets(host)?.first == 127
    }
}
