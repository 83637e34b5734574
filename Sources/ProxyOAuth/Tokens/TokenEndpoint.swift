import Crypto
import Foundation
import ProxyConfig

/// PKCE (RFC 7636) with S256: a fresh verifier per authorization request.
package struct PKCE: Sendable {
    package let verifier: String
    package var challenge: String { Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8)))) }

    package init() {
        verifier = Base64URL.encode(RandomBytes.make(32))
    }

    init(verifier: String) {
        self.verifier = verifier
    }
}

package enum RandomBytes {
    package static func make(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// The token endpoint's answers (RFC 6749 §5) and the requests that get them.
package struct TokenEndpoint: Sendable {
    /// An error the server answered with (`invalid_grant`, …) or a transport failure.
    package struct Failure: Error, CustomStringConvertible {
        /// The RFC 6749 error code, when the server sent one.
        package var code: String?
        package var description: String
        /// The grant itself is gone (revoked, expired, rotated away): only a new login helps.
        package var grantIsDead: Bool { code == "invalid_grant" || code == "unauthorized_client" || code == "invalid_client" }
    }

    let http: OAuthHTTPClient
    let server: AuthorizationServerMetadata
    let client: StoredRegistration
    /// The upstream MCP URL the tokens are for (see `StoredToken.upstream`).
    let upstream: String

    package init(http: OAuthHTTPClient, server: AuthorizationServerMetadata, client: StoredRegistration, upstream: String) {
        self.http = http
        self.server = server
        self.client = client
        self.upstream = upstream
    }

    package func exchange(code: String, verifier: String, redirectURI: String, resource: String?) async throws -> StoredToken {
        var form = [("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("redirect_uri", redirectURI)]
        if let resource { form.append(("resource", resource)) }
        return try await request(form, resource: resource, previous: nil)
    }

    package func refresh(_ token: StoredToken, resource: String?) async throws -> StoredToken {
        guard let refreshToken = token.refreshToken else {
            throw Failure(code: "invalid_grant", description: "the token expired and the server gave no refresh token")
        }
        var form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if let resource { form.append(("resource", resource)) }
        return try await request(form, resource: resource, previous: token)
    }

    /// RFC 8628 §3.4: one poll of a device authorization; `authorization_pending` and
    /// `slow_down` come back as failures with those codes.
    package func deviceCode(_ deviceCode: String, resource: String?) async throws -> StoredToken {
        var form = [("grant_type", DeviceLogin.grantType), ("device_code", deviceCode)]
        if let resource { form.append(("resource", resource)) }
        return try await request(form, resource: resource, previous: nil)
    }

    package func clientCredentials(scopes: [String]?, resource: String?) async throws -> StoredToken {
        var form = [("grant_type", "client_credentials")]
        if let scopes, !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        if let resource { form.append(("resource", resource)) }
        return try await request(form, resource: resource, previous: nil)
    }

    /// RFC 8693 token exchange: the client's access token for one meant for `resource`.
    package func tokenExchange(subjectToken: String, scopes: [String]?, resource: String?) async throws -> StoredToken {
        var form = [("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("subject_token", subjectToken),
                    ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
                    ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token")]
        if let scopes, !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        if let resource { form.append(("resource", resource)) }
        return try await request(form, resource: resource, previous: nil)
    }

    /// Client authentication as registered: HTTP Basic (the RFC 6749 default for a client with a
    /// secret), the secret in the form for `client_secret_post`, or just `client_id` for a public client.
    private func request(_ form: [(String, String)], resource: String?, previous: StoredToken?) async throws -> StoredToken {
        guard let url = URL(string: server.tokenEndpoint) else { throw Failure(description: "the token endpoint \(server.tokenEndpoint) is not a URL") }
        var form = form
        var headers: [(String, String)] = []
        client.authenticate(form: &form, headers: &headers)
        let response: OAuthHTTPClient.Response
        do {
            response = try await http.postForm(url, form, headers: headers)
        } catch {
            throw Failure(description: "the token endpoint \(server.tokenEndpoint) could not be reached: \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == 200, let object, let accessToken = object["access_token"] as? String, !accessToken.isEmpty else {
            let code = object?["error"] as? String
            let detail = (object?["error_description"] as? String).map { ": \($0)" } ?? ""
            throw Failure(code: code, description: "the token endpoint answered \(response.status)\(code.map { " \($0)" } ?? "")\(detail)")
        }
        if let type = object["token_type"] as? String, type.lowercased() != "bearer" {
            throw Failure(description: "the token endpoint issued a \(type) token; only Bearer tokens are supported")
        }
        guard accessToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Failure(description: "the access token contains characters a header cannot carry")
        }
        var lifetime = (object["expires_in"] as? NSNumber)?.doubleValue ?? (object["expires_in"] as? String).flatMap(Double.init)
        // A second less than said: the server's clock, its rounding and the way here all eat into it.
        if let said = lifetime, said > 2 { lifetime = said - 1 }
        return StoredToken(
            upstream: upstream, issuer: server.issuer, clientID: client.clientID, resource: resource ?? "", accessToken: accessToken,
            // A server that does not rotate refresh tokens keeps the old one valid (RFC 6749 §6).
            refreshToken: (object["refresh_token"] as? String) ?? previous?.refreshToken,
            expiresAt: lifetime.map { Date().timeIntervalSince1970 + $0 },
            scope: (object["scope"] as? String) ?? previous?.scope, obtainedAt: Date().timeIntervalSince1970)
    }
}

extension StoredRegistration {
    /// Client authentication as registered: HTTP Basic (the RFC 6749 default for a client with a
    /// secret), the secret in the form for `client_secret_post`, or just `client_id` for a public
    /// client. The token and the revocation endpoint take the same.
    package func authenticate(form: inout [(String, String)], headers: inout [(String, String)]) {
        let method = tokenEndpointAuthMethod ?? (clientSecret == nil ? "none" : "client_secret_basic")
        switch (method, clientSecret) {
        case ("client_secret_post", let secret?):
            form += [("client_id", clientID), ("client_secret", secret)]
        case (_, let secret?) where method != "none":
            let credentials = FormEncoding.escape(clientID) + ":" + FormEncoding.escape(secret)
            headers.append(("authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
        default:
            form.append(("client_id", clientID))
        }
    }
}
