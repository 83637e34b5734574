#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ProxyConfig
import ProxyMetrics
import ProxyResourceServer

/// `client_auth: oauth` on the request path: the client's bearer token is looked up in the loop's
/// cache, or verified once (`AccessTokenVerifier`) against the key set the control plane keeps in
/// `keys`. Nothing here waits on the network: an opaque token (introspection) or one signed by a
/// key the set lacks (a refetch) is handed back as an outcome the connection parks its request on.
final class InboundOAuth: Sendable {
    enum Outcome {
        case accepted(AcceptedClient)
        /// 401 or 403, and why (for the log line; clients only see the challenge).
        case refused(LocalAnswer, why: String)
        /// An opaque token, not seen before, and introspection is configured: ask `introspector`
        /// (the request waits), then `finishIntrospection`.
        case introspect(token: [UInt8], hash: Int)
        /// Signed by a key the set lacks while a refetch runs: wait for it (`KeySetSlot.whenRefetched`),
        /// then authenticate again.
        case awaitKeys
    }

    let settings: ClientOAuthSettings
    let verifier: AccessTokenVerifier
    let keys: KeySetSlot
    /// RFC 7662 for opaque tokens, when `introspection_client_id` is configured.
    let introspector: (any OpaqueTokenChecking)?
    let caches = InboundTokenCaches()
    private let toolPolicy: ToolPolicy?
    private let metrics: ProfileMetrics?
    private let skew: Int64
    /// Rendered once: the challenges and the protected-resource metadata never change for a runtime.
    let challenges: (noToken: String, invalidToken: String, insufficientScope: String)
    let metadata: String
    /// Where the metadata is served: the MCP path's and the audience's RFC 9728 locations, and the root.
    let metadataPaths: Set<Substring>

    init(settings: ClientOAuthSettings, keys: KeySetSlot, introspector: (any OpaqueTokenChecking)?, toolPolicy: ToolPolicy?,
         mcpPath: String, metrics: ProfileMetrics?) {
        self.settings = settings
        self.introspector = settings.introspection == nil ? nil : introspector
        verifier = AccessTokenVerifier(settings: settings)
        self.keys = keys
        self.toolPolicy = toolPolicy
        self.metrics = metrics
        skew = settings.clockSkew.milliseconds / 1000
        challenges = (ResourceServerAnswers.challenge(.noToken, settings), ResourceServerAnswers.challenge(.invalidToken, settings),
                      ResourceServerAnswers.challenge(.insufficientScope, settings))
        metadata = String(decoding: ResourceServerAnswers.metadata(settings), as: UTF8.self)
        let root = "/.well-known/oauth-protected-resource"
        metadataPaths = [Substring(root), Substring(settings.metadataPath), Substring(mcpPath == "/" ? root : root + mcpPath)]
    }

    static func now() -> Int64 { Int64(time(nil)) }

    /// `remembered`: the client this connection's previous request was accepted as. A keep-alive
    /// client sends the same token each time; comparing it costs less than hashing it.
    func authenticate(_ head: RequestHead, cache: InboundTokenCache, now: Int64, remembered: AcceptedClient? = nil,
                      waitsForKeys: Bool = true) -> Outcome {
        ClientAuthenticator.withPresentedToken(in: head) { presented -> Outcome in
            switch presented {
            case .none: return .refused(.tokenChallenge(.noToken), why: "no token")
            case .several: return .refused(.tokenChallenge(.invalidToken), why: "several Authorization fields")
            case .notBearer: return .refused(.tokenChallenge(.invalidToken), why: "not a Bearer token")
            case .token(let token):
                let outcome = authenticate(token: token, cache: cache, now: now, remembered: remembered)
                // After one wait for the keys, an unknown kid is refused.
                if case .awaitKeys = outcome, !waitsForKeys { return .refused(.tokenChallenge(.invalidToken), why: "no key for its kid in the JWKS, refetched") }
                return outcome
            }
        }
    }

    private func authenticate(token: UnsafeRawBufferPointer, cache: InboundTokenCache, now: Int64, remembered: AcceptedClient?) -> Outcome {
        let generation = keys.generation
        if let remembered, remembered.keyGeneration == generation, now < remembered.expiresAt + skew, remembered.holds(token) {
            return decide(remembered)
        }
        let hash = InboundTokenCache.hash(token)
        if let entry = cache.entry(for: token, hash: hash) {
            if entry.client.keyGeneration == generation, now < entry.client.expiresAt + skew { return decide(entry.client) }
            cache.remove(hash: hash)
        }
        if introspector != nil, !AccessTokenVerifier.looksLikeJWS(token) {
            return .introspect(token: Array(token), hash: hash)
        }
        return settle(verifier.verify(token, keys: keys.keys, now: now), token: token, hash: hash, generation: generation, cache: cache, now: now)
    }

    /// The introspection's answer about `token`, cached like a verified JWT when it accepts.
    func finishIntrospection(_ outcome: AccessTokenVerifier.Outcome, token: [UInt8], hash: Int, cache: InboundTokenCache, now: Int64) -> Outcome {
        token.withUnsafeBytes { settle(outcome, token: $0, hash: hash, generation: keys.generation, cache: cache, now: now) }
    }

    private func settle(_ outcome: AccessTokenVerifier.Outcome, token: UnsafeRawBufferPointer, hash: Int, generation: UInt64,
                        cache: InboundTokenCache, now: Int64) -> Outcome {
        switch outcome {
        case .accepted(let verified):
            let client = AcceptedClient(
                token: Array(token), subject: verified.subject ?? verified.clientName,
                name: AcceptedClient.displayName(verified.clientName),
                toolPolicy: toolPolicy?.forScopes(verified.scopes),
                hasRequiredScopes: settings.requiredScopes.allSatisfy(verified.scopes.contains),
                expiresAt: verified.expiresAt,
                requests: metrics?.oauthClientRequests(client: AcceptedClient.displayName(verified.clientName)),
                keyGeneration: generation)
            cache.insert(.init(client: client), hash: hash, now: now)
            return decide(client)
        case .refused(let reason):
            return .refused(.tokenChallenge(.invalidToken), why: reason)
        case .unknownKey(let kid):
            // A rotated key: the request waits for the refetch it starts (or the one running);
            // past that, or within 30 s of the last one, the token is refused.
            keys.requestRefetch(now: now)
            if keys.isRefetching { return .awaitKeys }
            return .refused(.tokenChallenge(.invalidToken), why: "no key \(kid) in the JWKS")
        }
    }

    private func decide(_ client: AcceptedClient) -> Outcome {
        client.hasRequiredScopes ? .accepted(client) : .refused(.tokenChallenge(.insufficientScope), why: "the token of \(client.name) lacks a required scope")
    }
}
