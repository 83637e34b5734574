import ProxyConfig

/// The checks a request head must pass before anything of it may reach the upstream: the Host
/// and Origin checks, then the route. Pure and shared read-only by every connection of a profile;
/// later checks on the head (client authentication, policy) belong here too.
struct RequestAdmission: Sendable {
    enum Verdict: Equatable {
        /// Forward to the upstream with this exact request target (also what gets signed).
        case forward(upstreamTarget: String)
        case refuse(LocalAnswer)
    }

    let originPolicy: OriginPolicy
    let router: RequestRouter
    /// nil for `client_auth: none`.
    let authenticator: ClientAuthenticator?

    init(profile: Profile) {
        originPolicy = OriginPolicy(profile: profile)
        router = RequestRouter(profile: profile)
        authenticator = ClientAuthenticator(profile.clientAuth)
    }

    /// The verdict; `client` is set to the authenticated client's index (in the authenticator's
    /// `names`) under `client_auth: bearer`.
    /// Discovery probes and unknown paths are answered without authentication: their answers are
    /// static and tell nothing.
    func verdict(on head: RequestHead, client: inout Int?) -> Verdict {
        client = nil
        let verdict = verdict(on: head)
        guard case .forward = verdict, let authenticator else { return verdict }
        client = authenticator.client(presentedIn: head)
        return client == nil ? .refuse(.unauthenticated) : verdict
    }

    func verdict(on head: RequestHead) -> Verdict {
        if !originPolicy.acceptsHost(head.host) { return .refuse(.hostNotAllowed) }
        if !originPolicy.acceptsOrigin(head.origin) { return .refuse(.originNotAllowed) }
        switch router.route(method: head.method, target: head.target) {
        case .badTarget(let reason): return .refuse(.badTarget(reason))
        case .discoveryProbe: return .refuse(.discoveryProbe)
        case .notFound: return .refuse(.notFound)
        case .methodNotAllowed: return .refuse(.methodNotAllowed(head.method))
        case .forward(let target): return .forward(upstreamTarget: target)
        }
    }
}
