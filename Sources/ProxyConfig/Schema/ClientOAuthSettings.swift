/// `client_auth: oauth`: the listener is an OAuth 2.1 resource server. Clients bring a JWT access
/// token issued by `issuer` for `audience`; the proxy checks it against the issuer's JWKS and
/// never sends it upstream (docs/oauth.md, "Clients that sign in"). Only the loader makes one.
package struct ClientOAuthSettings: Sendable, Hashable {
    /// The JWS algorithms a token may be signed with. Asymmetric only: `none` proves nothing, and
    /// an HMAC key would have to be the JWKS's public key (the classic algorithm confusion).
    package enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
        case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
        case es256 = "ES256", es384 = "ES384"
        case eddsa = "EdDSA"

        package static let defaults: [Algorithm] = [.rs256, .es256]
    }

    /// The authorization server; tokens must carry exactly this `iss`, and its metadata names the JWKS.
    package internal(set) var issuer: String
    /// The URL clients use for this listener: the tokens' `aud` must contain it (RFC 8707), and it
    /// is the `resource` of the listener's protected-resource metadata.
    package internal(set) var audience: String
    /// Overrides the JWKS location the issuer's metadata names.
    package internal(set) var jwksURI: String?
    /// Scopes every token must carry; a token without one gets 403 insufficient_scope.
    package internal(set) var requiredScopes: [String] = []
    /// The claim that names the client in logs and metrics (default `sub`).
    package internal(set) var clientNameClaim = "sub"
    package internal(set) var algorithms: [Algorithm] = Algorithm.defaults
    /// Leeway for `exp` and `nbf` against clocks that disagree.
    package internal(set) var clockSkew = ConfigDuration.seconds(60)
    /// How often the JWKS is fetched again (besides at once for an unknown `kid`).
    package internal(set) var jwksRefresh = ConfigDuration.seconds(300)
    /// RFC 7662: opaque (non-JWT) tokens are checked at the identity provider's introspection
    /// endpoint by this client; nil: only JWTs are accepted.
    package internal(set) var introspection: Introspection?

    package struct Introspection: Sendable, Hashable {
        /// Nil: the issuer metadata's `introspection_endpoint`.
        package internal(set) var endpoint: String?
        package internal(set) var clientID: String
        package internal(set) var clientSecret: Secret?
    }

    init(issuer: String, audience: String) {
        self.issuer = issuer
        self.audience = audience
    }

    /// RFC 9728 §3.1: the metadata sits at `/.well-known/oauth-protected-resource` followed by the
    /// resource's path; the path's form is the one clients try first.
    package var metadataPath: String {
        let path = Self.path(of: audience)
        return "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path)
    }

    /// The metadata's absolute URL, named in every challenge (`resource_metadata`).
    package var metadataURL: String { Self.origin(of: audience) + metadataPath }

    static func origin(of url: String) -> String {
        let bytes = Array(url.utf8)
        var index = 0
        while index + 2 < bytes.count, !(bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: "/") && bytes[index + 2] == UInt8(ascii: "/")) {
            index += 1
        }
        guard index + 2 < bytes.count else { return url }
        var end = index + 3
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") { end += 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    static func path(of url: String) -> String {
        let afterOrigin = url.dropFirst(origin(of: url).count)
        let end = afterOrigin.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? afterOrigin.endIndex
        var path = String(afterOrigin[..<end])
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path.isEmpty ? "/" : path
    }
}
