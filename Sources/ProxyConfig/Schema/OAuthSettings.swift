/// `auth_scheme: oauth`: how the proxy obtains an OAuth 2.1 access token for the upstream
/// (docs/oauth.md). Only the loader makes one; every URL in it has been parsed and checked.
package struct OAuthSettings: Sendable, Hashable {
    package enum Grant: String, Sendable, Hashable, CaseIterable {
        /// A person signs in once (`mcp-auth-proxy login`); refresh tokens keep the session.
        case authorizationCode = "authorization_code"
        /// A confidential client gets its own tokens: no person, no login.
        case clientCredentials = "client_credentials"
        /// On behalf of each client (`client_auth: oauth`): the client's access token is exchanged
        /// (RFC 8693) for one whose audience is the upstream; no login, no profile-wide token.
        case tokenExchange = "token_exchange"
    }

    /// The RFC 8707 `resource` parameter sent with authorization and token requests.
    package enum Resource: Sendable, Hashable {
        /// The upstream's canonical URI (the protected resource's metadata may shorten it).
        case auto
        /// No `resource` parameter, for servers that reject it.
        case none
        case uri(String)
    }

    package internal(set) var grant: Grant = .authorizationCode
    /// A client registered by hand with the authorization server.
    package internal(set) var clientID: String?
    /// A client ID metadata document the user hosts; used when the server supports them.
    package internal(set) var clientMetadataURL: String?
    /// The confidential client's secret (client_secret_env, _file or _command).
    package internal(set) var clientSecret: Secret?
    /// Nil: the challenge's scope, else the protected resource's `scopes_supported`, else none.
    package internal(set) var scopes: [String]?
    /// Skips discovery: this issuer's metadata is used whatever the protected resource names.
    package internal(set) var issuer: String?
    package internal(set) var resource: Resource = .auto
    /// Extra parameters of the authorization request, in the order written.
    package internal(set) var extraAuthorizeParameters: [KeyValue] = []
    /// The loopback redirect's port; 0: any free one (RFC 8252 §7.3).
    package internal(set) var redirectPort = 0
    /// Where tokens and registrations are kept (a 0600 file in a 0700 directory).
    package internal(set) var tokenFile: String

    package struct KeyValue: Sendable, Hashable {
        package var key: String
        package var value: String
    }

    init(tokenFile: String) {
        self.tokenFile = tokenFile
    }

    /// The default token file of a profile: `$XDG_STATE_HOME/mcp-auth-proxy/oauth/<profile>.json`,
    /// or `~/.local/state/…` without XDG_STATE_HOME.
    package static func defaultTokenFile(profile: String, environment: [String: String]) -> String {
        let state: String
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            state = xdg
        } else {
            state = (environment["HOME"] ?? "/root") + "/.local/state"
        }
        return "\(state)/mcp-auth-proxy/oauth/\(profile).json"
    }
}
