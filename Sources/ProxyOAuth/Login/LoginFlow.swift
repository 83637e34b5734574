import Foundation
import NIOCore
import ProxyConfig

/// `mcp-auth-proxy login`: the authorization code flow with PKCE S256, `state`, the RFC 8707
/// resource in both requests, the RFC 9207 `iss` check, and a loopback redirect on 127.0.0.1.
/// The token lands in the profile's token file, where running listeners and bridges pick it up.
package struct LoginFlow: Sendable {
    package let profile: Profile
    package let settings: OAuthSettings
    let http: OAuthHTTPClient
    let group: any EventLoopGroup
    /// Extra scopes asked for (`login --scope`), on top of the configured or discovered ones.
    package var extraScopes: [String] = []
    /// How long to wait for the browser to come back.
    package var timeout: TimeAmount = .seconds(300)

    package init(profile: Profile, settings: OAuthSettings, group: any EventLoopGroup) {
        self.profile = profile
        self.settings = settings
        self.group = group
        self.http = OAuthHTTPClient(group: group, caFile: profile.caFile)
    }

    /// Runs the flow; `present` shows the authorization URL (prints it, opens a browser).
    package func run(present: @Sendable (String) -> Void) async throws -> StoredToken {
        let discovery = OAuthDiscovery(http: http, upstream: profile.upstream, settings: settings)
        let outcome = try await discovery.discover()
        let server = outcome.server
        guard let endpoint = server.authorizationEndpoint, let endpointURL = URL(string: endpoint), OAuthDiscovery.isAcceptable(endpointURL) else {
            throw LoginFailure(description: "the authorization server \(server.issuer) has no usable https authorization_endpoint")
        }
        let store = TokenStore(path: settings.tokenFile)
        let stored = try store.read()
        // Reuse the port of a stored dynamic registration: its redirect URI must match exactly.
        let storedPort = stored.registration(issuer: server.issuer).flatMap { URL(string: $0.redirectURIs.first ?? "")?.port }
        let redirect: LoopbackRedirect
        if settings.redirectPort != 0 {
            redirect = try await LoopbackRedirect.bind(port: settings.redirectPort, group: group)
        } else if let storedPort, let bound = try? await LoopbackRedirect.bind(port: storedPort, group: group) {
            redirect = bound
        } else {
            redirect = try await LoopbackRedirect.bind(port: 0, group: group)
        }
        do {
            let token = try await authorize(server: server, endpoint: endpoint, outcome: outcome, redirect: redirect, store: store, present: present)
            await redirect.close()
            return token
        } catch {
            await redirect.close()
            throw error
        }
    }

    private func authorize(server: AuthorizationServerMetadata, endpoint: String, outcome: OAuthDiscovery.Outcome,
                           redirect: LoopbackRedirect, store: TokenStore, present: @Sendable (String) -> Void) async throws -> StoredToken {
        let registration = ClientRegistration(http: http, settings: settings, profileName: profile.name, redirectPort: redirect.port)
        var stored = try store.read().registration(issuer: server.issuer)
        let scopes = outcome.scopes(configured: settings.scopes, adding: extraScopes)
        // A dynamic registration made for another redirect URI, or for fewer scopes (a step-up with
        // `--scope`), cannot be used for this request: register anew.
        if let existing = stored, settings.clientID == nil {
            let registeredScopes = existing.scope.map { Set($0.split(separator: " ").map(String.init)) }
            if !existing.redirectURIs.contains(redirect.uri) || registeredScopes.map({ !Set(scopes).isSubset(of: $0) }) == true { stored = nil }
        }
        let client = try await registration.client(for: server, stored: stored, scopes: scopes)
        let pkce = PKCE()
        let state = Base64URL.encode(RandomBytes.make(24))
        var query = [("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", redirect.uri), ("state", state),
                     ("code_challenge", pkce.challenge), ("code_challenge_method", "S256")]
        if !scopes.isEmpty { query.append(("scope", scopes.joined(separator: " "))) }
        if let resource = outcome.resource { query.append(("resource", resource)) }
        for parameter in settings.extraAuthorizeParameters { query.append((parameter.key, parameter.value)) }
        let url = endpoint + (endpoint.contains("?") ? "&" : "?") + FormEncoding.encode(query)
        present(url)

        let parameters = try await redirect.parameters(timeout: timeout)
        func value(_ name: String) -> String? { parameters.first { $0.0 == name }?.1 }
        guard value("state") == state else {
            throw LoginFailure(description: "the authorization response's state does not match this login (a stale or forged redirect); run login again")
        }
        try Self.checkIssuer(value("iss"), server: server)
        if let error = value("error") {
            throw LoginFailure(description: "the authorization server refused: \(error)\(value("error_description").map { " (\($0))" } ?? "")")
        }
        guard let code = value("code"), !code.isEmpty else {
            throw LoginFailure(description: "the authorization response carries no code")
        }
        let upstream = OAuthDiscovery.uri(of: profile.upstream)
        let token = try await TokenEndpoint(http: http, server: server, client: client, upstream: upstream)
            .exchange(code: code, verifier: pkce.verifier, redirectURI: redirect.uri, resource: outcome.resource)
        try await store.update { contents in
            contents.put(server)
            contents.put(client)
            contents.put(token)
        }
        return token
    }

    /// RFC 9207 §2.4: an `iss` that is present must equal the issuer; a server that advertises
    /// `authorization_response_iss_parameter_supported` must send it.
    static func checkIssuer(_ iss: String?, server: AuthorizationServerMetadata) throws {
        if let iss {
            guard OAuthDiscovery.sameIssuer(iss, server.issuer) else {
                throw LoginFailure(description: "the authorization response came from the issuer \(iss), not \(server.issuer) (RFC 9207): refusing it (a mix-up attack, or a misconfigured server)")
            }
        } else if server.authorizationResponseIssParameterSupported == true {
            throw LoginFailure(description: "\(server.issuer) promises the iss parameter (RFC 9207) but the response has none: refusing it")
        }
    }

}
