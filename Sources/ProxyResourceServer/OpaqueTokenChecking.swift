/// `client_auth: oauth` with introspection: the control plane's side of checking an opaque token
/// (RFC 7662). The data plane asks once per token it has not seen, with the request parked until
/// the answer comes (the one case where a request waits on the network: there is nothing to
/// verify locally); the answer is then cached with the token like a verified JWT.
package protocol OpaqueTokenChecking: Sendable {
    func introspect(_ token: String) async -> AccessTokenVerifier.Outcome
}
