import Foundation
import NIOCore
import ProxyConfig

/// `mcp-auth-proxy logout`: revokes the refresh token (else the access token) where the server
/// offers RFC 7009 revocation, then removes the profile's tokens from the token file.
package struct Logout: Sendable {
    let profile: Profile
    let settings: OAuthSettings
    let http: OAuthHTTPClient

    package init(profile: Profile, settings: OAuthSettings, group: any EventLoopGroup) {
        self.profile = profile
        self.settings = settings
        self.http = OAuthHTTPClient(group: group, caFile: profile.caFile)
    }

    /// What happened, in one sentence.
    package func run() async throws -> String {
        let upstream = OAuthDiscovery.uri(of: profile.upstream)
        let http = http
        return try await TokenStore(path: settings.tokenFile).update { contents in
            guard let token = contents.token(upstream: upstream) else { return "profile \(profile.name) had no token; nothing to do" }
            var revoked = "the server offers no revocation, so the tokens were only forgotten"
            if let server = contents.server(issuer: token.issuer), let endpoint = server.revocationEndpoint, let url = URL(string: endpoint),
               let client = contents.registration(issuer: token.issuer) {
                let (value, hint) = token.refreshToken.map { ($0, "refresh_token") } ?? (token.accessToken, "access_token")
                var form = [("token", value), ("token_type_hint", hint)]
                var headers: [(String, String)] = []
                client.authenticate(form: &form, headers: &headers)
                let response = try? await http.postForm(url, form, headers: headers)
                revoked = response?.status == 200 ? "revoked at \(endpoint)" : "revocation at \(endpoint) failed (status \(response.map { String($0.status) } ?? "none")); forgotten anyway"
            }
            contents.removeTokens(upstream: upstream)
            return "profile \(profile.name) logged out: \(revoked)"
        }
    }
}
