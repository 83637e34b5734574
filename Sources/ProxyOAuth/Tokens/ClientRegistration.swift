import Foundation
import ProxyConfig

/// Which client the proxy is at an authorization server, in the specification's order: the
/// pre-registered `client_id`; a client ID metadata document when the server supports them and
/// `client_metadata_url` is set; else dynamic registration (RFC 7591) as a native application
/// with loopback redirect URIs. Registrations are kept per issuer in the token file.
package struct ClientRegistration: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    let http: OAuthHTTPClient
    let settings: OAuthSettings
    let profileName: String
    /// The loopback redirect's port: the one `login` bound (the SDKs' servers compare redirect
    /// URIs exactly, port included), else the configured one.
    let redirectPort: Int

    package init(http: OAuthHTTPClient, settings: OAuthSettings, profileName: String, redirectPort: Int? = nil) {
        self.http = http
        self.settings = settings
        self.profileName = profileName
        self.redirectPort = redirectPort ?? settings.redirectPort
    }

    /// The loopback redirect URIs a client registers: `127.0.0.1` with the port, or with none when
    /// any port will do (RFC 8252 §7.3 lets the server ignore the port).
    package var redirectURIs: [String] {
        ["http://127.0.0.1\(redirectPort == 0 ? "" : ":\(redirectPort)")/callback"]
    }

    /// A stored registration for `server` when still usable, else a new one (stored by the caller).
    /// `scopes`: what the client will ask for; a new registration names them, since servers
    /// (the SDKs' among them) refuse scopes a client was not registered with.
    /// `device`: the client will use the device authorization grant (a new registration asks for it).
    package func client(for server: AuthorizationServerMetadata, stored: StoredRegistration?, scopes: [String]? = nil,
                        device: Bool = false) async throws -> StoredRegistration {
        let secret = settings.clientSecret.map { String(decoding: $0.bytes, as: UTF8.self) }
        if let clientID = settings.clientID {
            return StoredRegistration(issuer: server.issuer, clientID: clientID, clientSecret: secret, redirectURIs: redirectURIs,
                                      tokenEndpointAuthMethod: Self.authMethod(server: server, hasSecret: secret != nil))
        }
        if let documentURL = settings.clientMetadataURL, server.clientIDMetadataDocumentSupported == true {
            return StoredRegistration(issuer: server.issuer, clientID: documentURL, clientSecret: nil, redirectURIs: redirectURIs,
                                      tokenEndpointAuthMethod: "none")
        }
        if let stored, stored.issuer == server.issuer, !device || stored.grantTypes?.contains(DeviceLogin.grantType) == true { return stored }
        return try await register(with: server, scopes: settings.scopes ?? scopes, device: device)
    }

    /// RFC 7591 dynamic registration of a public native client.
    func register(with server: AuthorizationServerMetadata, scopes: [String]?, device: Bool = false) async throws -> StoredRegistration {
        guard let endpoint = server.registrationEndpoint, let url = URL(string: endpoint) else {
            throw Failure(description: "the authorization server \(server.issuer) offers no dynamic registration; register a client there and set `oauth.client_id`")
        }
        let grants = ["authorization_code", "refresh_token"] + (device ? [DeviceLogin.grantType] : [])
        let document = Self.metadataDocument(clientName: "mcp-auth-proxy (\(profileName))", redirectURIs: redirectURIs,
                                             scopes: scopes, clientID: nil, grantTypes: grants)
        let response = try await http.postJSON(url, Array(document.utf8))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200...201).contains(response.status), let object, let clientID = object["client_id"] as? String else {
            let detail = (object?["error_description"] as? String) ?? (object?["error"] as? String) ?? "status \(response.status)"
            throw Failure(description: "dynamic registration at \(endpoint) failed: \(detail)")
        }
        return StoredRegistration(issuer: server.issuer, clientID: clientID, clientSecret: object["client_secret"] as? String,
                                  redirectURIs: (object["redirect_uris"] as? [String]) ?? redirectURIs,
                                  tokenEndpointAuthMethod: (object["token_endpoint_auth_method"] as? String) ?? "none",
                                  scope: (object["scope"] as? String) ?? scopes?.joined(separator: " "),
                                  grantTypes: (object["grant_types"] as? [String]) ?? grants)
    }

    /// The client metadata (RFC 7591 §2): what dynamic registration sends and what a client ID
    /// metadata document holds (with `client_id`, its own URL).
    package static func metadataDocument(clientName: String, redirectURIs: [String], scopes: [String]?, clientID: String?,
                                         grantTypes: [String] = ["authorization_code", "refresh_token"]) -> String {
        var object: [String: Any] = [
            "client_name": clientName,
            "redirect_uris": redirectURIs,
            "grant_types": grantTypes,
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        ]
        if let clientID { object["client_id"] = clientID }
        if let scopes, !scopes.isEmpty { object["scope"] = scopes.joined(separator: " ") }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `client_secret_post` where the server lists it (the MCP SDKs' servers read `client_id`
    /// from the form whatever the method), else HTTP Basic, RFC 6749's default.
    static func authMethod(server: AuthorizationServerMetadata, hasSecret: Bool) -> String {
        guard hasSecret else { return "none" }
        let supported = server.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
        return supported.contains("client_secret_post") ? "client_secret_post" : "client_secret_basic"
    }
}
