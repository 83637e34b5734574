import MCPMessages
import ProxyConfig

/// Decides whether a client's bearer token is a JWT access token this listener accepts
/// (`client_auth: oauth`): signed by a key of the issuer's JWKS under an allowed asymmetric
/// algorithm, `iss` exactly the issuer, `aud` containing the audience, `exp`/`nbf` holding within
/// the skew. Pure and synchronous: the data plane calls it on a token it has not seen, with the
/// key set the control plane fetched; nothing here touches the network.
package struct AccessTokenVerifier: Sendable {
    package let settings: ClientOAuthSettings

    package init(settings: ClientOAuthSettings) {
        self.settings = settings
    }

    package enum Outcome: Sendable {
        case accepted(VerifiedAccessToken)
        /// Not a token of this listener; `reason` is for the log line, never for the client.
        case refused(reason: String)
        /// Signed with a key the set does not have (yet): worth one refetch of the JWKS.
        case unknownKey(kid: String)
    }

    /// `now` in seconds since 1970.
    package func verify(_ token: UnsafeRawBufferPointer, keys: KeySet, now: Int64) -> Outcome {
        guard let jws = CompactJWS(token) else { return .refused(reason: "not a JWS in compact form") }
        guard let name = jws.header["alg"]?.string else { return .refused(reason: "no alg in the header") }
        guard let algorithm = ClientOAuthSettings.Algorithm(rawValue: name), settings.algorithms.contains(algorithm) else {
            return .refused(reason: "alg \(String(name.prefix(16))) is not accepted")
        }
        // RFC 7515 §4.1.11: an extension the proxy does not understand must not be ignored.
        if jws.header["crit"] != nil { return .refused(reason: "the header has crit extensions") }
        if let type = jws.header["typ"]?.string, !Self.acceptedTypes.contains(type.lowercased()) {
            return .refused(reason: "typ \(String(type.prefix(32))) is not an access token's")
        }
        let kid = jws.header["kid"]?.string
        let candidates = keys.candidates(kid: kid, algorithm: algorithm)
        if candidates.isEmpty {
            if let kid, !keys.knows(kid: kid) { return .unknownKey(kid: String(kid.prefix(64))) }
            return .refused(reason: "no key of the JWKS fits alg \(name)\(kid.map { " and kid \(String($0.prefix(64)))" } ?? "")")
        }
        guard candidates.contains(where: { $0.verifies(jws.signature, over: jws.signingInput, algorithm: algorithm) }) else {
            return .refused(reason: "the signature does not verify")
        }
        return checkClaims(jws.claims, now: now)
    }

    /// An RFC 7662 introspection response, held to the same rules as a JWT's claims: `active`
    /// must be true, `aud` must contain the audience (an opaque token for another resource server
    /// is refused as a JWT for one would be), `iss` when present must be the issuer; without `exp`
    /// the answer holds for `unboundedLifetime` seconds.
    package func checkIntrospection(_ body: [UInt8], now: Int64) -> Outcome {
        guard case .success(let response) = JSONNode.parsing(body, rejectingDuplicateKeys: true), case .object = response else {
            return .refused(reason: "the introspection response is not a JSON object")
        }
        guard case .bool(true)? = response["active"] else { return .refused(reason: "introspection: not active") }
        var members: [(String, JSONNode)] = []
        if case .object(let all) = response { members = all }
        if response["iss"] == nil { members.append(("iss", .string(settings.issuer))) }
        if response["exp"] == nil { members.append(("exp", .number(String(now + Self.unboundedLifetime)))) }
        if response["sub"] == nil, let username = response["username"] { members.append(("sub", username)) }
        switch checkClaims(.object(members), now: now) {
        case .refused(let reason): return .refused(reason: "introspection: " + reason)
        case let other: return other
        }
    }

    /// How long an introspection answer without `exp` is trusted before the token is asked about again.
    package static let unboundedLifetime: Int64 = 60

    /// Whether `token` can be a JWS at all: three base64url parts (else it is opaque).
    package static func looksLikeJWS(_ token: UnsafeRawBufferPointer) -> Bool {
        token.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) } == 2
    }

    /// RFC 9068 `at+jwt`, and the plain `JWT` many identity providers still write.
    static let acceptedTypes: Set<String> = ["at+jwt", "application/at+jwt", "jwt"]

    func checkClaims(_ claims: JSONNode, now: Int64) -> Outcome {
        guard claims["iss"]?.string == settings.issuer else { return .refused(reason: "iss is not \(settings.issuer)") }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.string)
        default: return .refused(reason: "no aud")
        }
        guard audiences.contains(where: { Self.sameResource($0, settings.audience) }) else {
            return .refused(reason: "aud does not contain \(settings.audience)")
        }
        let skew = settings.clockSkew.milliseconds / 1000
        guard let expiry = Self.seconds(claims["exp"]) else { return .refused(reason: "no exp") }
        guard now < expiry + skew else { return .refused(reason: "expired") }
        if let notBefore = claims["nbf"] {
            guard let start = Self.seconds(notBefore) else { return .refused(reason: "nbf is not a number") }
            guard now >= start - skew else { return .refused(reason: "not yet valid (nbf)") }
        }
        let subject = claims["sub"]?.string
        let named = Self.text(claims[settings.clientNameClaim]) ?? subject ?? Self.text(claims["client_id"]) ?? "unknown"
        return .accepted(VerifiedAccessToken(subject: subject, clientName: named, scopes: Self.scopes(claims), expiresAt: expiry))
    }

    /// `scope` as RFC 9068 writes it (space-separated), or `scp` as Entra ID and Okta do (a list or a string).
    static func scopes(_ claims: JSONNode) -> [String] {
        switch claims["scope"] ?? claims["scp"] {
        case .string(let text)?: return text.split(separator: " ").map(String.init)
        case .array(let items)?: return items.compactMap(\.string)
        default: return []
        }
    }

    /// `https://mcp.example.com/mcp` and `https://mcp.example.com/mcp/` name the same resource.
    static func sameResource(_ a: String, _ b: String) -> Bool {
        a == b || (a.hasSuffix("/") && a.dropLast() == b) || (b.hasSuffix("/") && b.dropLast() == a)
    }

    /// A NumericDate (RFC 7519 §2): seconds, possibly with a fraction (rounded down).
    static func seconds(_ node: JSONNode?) -> Int64? {
        guard case .number(let text)? = node, let value = Double(text), value.isFinite, abs(value) < 1e15 else { return nil }
        return Int64(value.rounded(.down))
    }

    static func text(_ node: JSONNode?) -> String? {
        switch node {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let text)?: return text
        default: return nil
        }
    }
}

/// What the proxy learned from an accepted token.
package struct VerifiedAccessToken: Sendable, Equatable {
    package let subject: String?
    /// The `client_name_claim` value (else `sub`), as the token wrote it; logs and metrics sanitise it.
    package let clientName: String
    package let scopes: [String]
    /// `exp`, in seconds since 1970.
    package let expiresAt: Int64
}
