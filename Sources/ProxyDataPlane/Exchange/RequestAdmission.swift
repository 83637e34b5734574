import ProxyConfig

/// The checks a request head must pass before anything of it may reach the upstream: the Host
/// and Origin checks, then the route. Pure and shared read-only by every connection of a profile;
/// later checks on the head (client authentication, policy) belong here too.
/// A final class of constants, so a request uses it by reference: as a struct it was copied out
/// of the runtime and destroyed again at every request (about 350 instructions).
final class RequestAdmission: Sendable {
    enum Verdict: Equatable {
        /// Forward to the upstream with this exact request target (also what gets signed).
        case forward(upstreamTarget: String)
        case refuse(LocalAnswer)
    }

    let originPolicy: OriginPolicy
    let router: RequestRouter
    /// nil unless `client_auth: bearer`.
    let authenticator: ClientAuthenticator?
    /// `client_auth: oauth`: the paths where the protected-resource metadata is served.
    let resourceMetadataPaths: Set<Substring>

    init(profile: Profile, resourceMetadataPaths: Set<Substring> = []) {
        originPolicy = OriginPolicy(profile: profile)
        router = RequestRouter(profile: profile)
        authenticator = ClientAuthenticator(profile.clientAuth)
        self.resourceMetadataPaths = resourceMetadataPaths
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
        switch head.withHostBytes({ originPolicy.hostVerdict(bytes: $0) }) {
        case .accepted: break
        case .notThisProxy: return .refuse(.hostNotAllowed)
        case .malformed: return .refuse(.malformedHost)
        }
        if !originPolicy.acceptsOrigin(head.origin) { return .refuse(.originNotAllowed) }
        switch router.route(method: head.method, target: head.target) {
        case .badTarget(let reason): return .refuse(.badTarget(reason))
        case .discoveryProbe:
            if !resourceMetadataPaths.isEmpty, head.method == "GET", resourceMetadataPaths.contains(RequestRouter.logPath(head.target)) {
                return .refuse(.protectedResourceMetadata)
            }
            return .refuse(.discoveryProbe)
        case .notFound: return .refuse(.notFound)
        case .methodNotAllowed: return .refuse(.methodNotAllowed(head.method))
        case .forward(let target):
            if Self.refusesBody(method: head.method, framing: head.framing) { return .refuse(.bodyNotAllowed(head.method)) }
            return .forward(upstreamTarget: target)
        }
    }

    /// A GET or DELETE carries no body on the MCP endpoint (the transport defines none), and the
    /// body check and the tool policy read POST bodies only: a body there would reach the
    /// upstream, signed, unexamined. Announced by any Content-Length but 0, or by chunking.
    static func refusesBody(method: String, framing: RequestHead.Framing) -> Bool {
        // The framing first and one string comparison for POST, the request path's usual case.
        if case .contentLength(0) = framing { return false }
        guard method != "POST" else { return false }
        return method == "GET" || method == "DELETE"
    }
}
