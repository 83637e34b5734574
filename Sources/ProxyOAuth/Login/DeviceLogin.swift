import Foundation
import NIOCore
import ProxyConfig

/// `mcp-auth-proxy login --device`: the device authorization grant (RFC 8628) for a machine with
/// no browser. The proxy asks for a user code, shows where to enter it, and polls the token
/// endpoint at the server's interval (slowing down when told) until the person approves, refuses,
/// or the code expires.
package struct DeviceLogin: Sendable {
    /// What the person is shown.
    package struct Instructions: Sendable {
        package var verificationURI: String
        package var userCode: String
        package var verificationURIComplete: String?
        package var expiresIn: Int
    }

    package static let grantType = "urn:ietf:params:oauth:grant-type:device_code"

    let profile: Profile
    let settings: OAuthSettings
    let http: OAuthHTTPClient
    package var extraScopes: [String] = []

    package init(profile: Profile, settings: OAuthSettings, group: any EventLoopGroup) {
        self.profile = profile
        self.settings = settings
        self.http = OAuthHTTPClient(group: group, caFile: profile.caFile)
    }

    package func run(present: @Sendable (Instructions) -> Void) async throws -> StoredToken {
        let outcome = try await OAuthDiscovery(http: http, upstream: profile.upstream, settings: settings).discover(requiresPKCE: false)
        let server = outcome.server
        guard let endpoint = server.deviceAuthorizationEndpoint, let endpointURL = URL(string: endpoint), OAuthDiscovery.isAcceptable(endpointURL) else {
            throw LoginFailure(description: "the authorization server \(server.issuer) offers no device authorization (RFC 8628); use `login --no-browser` and open the URL elsewhere")
        }
        let store = TokenStore(path: settings.tokenFile)
        let scopes = outcome.scopes(configured: settings.scopes, adding: extraScopes)
        let client = try await ClientRegistration(http: http, settings: settings, profileName: profile.name)
            .client(for: server, stored: try store.read().registration(issuer: server.issuer), scopes: scopes, device: true)

        var form: [(String, String)] = []
        if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        if let resource = outcome.resource { form.append(("resource", resource)) }
        var headers: [(String, String)] = []
        client.authenticate(form: &form, headers: &headers)
        let response = try await http.postForm(endpointURL, form, headers: headers)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == 200, let object, let deviceCode = object["device_code"] as? String,
              let userCode = object["user_code"] as? String, let verification = object["verification_uri"] as? String else {
            let detail = (object?["error_description"] as? String) ?? (object?["error"] as? String) ?? "status \(response.status)"
            throw LoginFailure(description: "device authorization at \(endpoint) failed: \(detail)")
        }
        let expiresIn = (object["expires_in"] as? NSNumber)?.intValue ?? 600
        present(Instructions(verificationURI: verification, userCode: userCode,
                             verificationURIComplete: object["verification_uri_complete"] as? String, expiresIn: expiresIn))

        let tokens = TokenEndpoint(http: http, server: server, client: client, upstream: OAuthDiscovery.uri(of: profile.upstream))
        var interval = max(1, (object["interval"] as? NSNumber)?.intValue ?? 5)
        let deadline = Date().addingTimeInterval(TimeInterval(expiresIn))
        while Date() < deadline {
            try await Task.sleep(nanoseconds: UInt64(interval) * 1_000_000_000)
            do {
                let token = try await tokens.deviceCode(deviceCode, resource: outcome.resource)
                try await store.update { contents in
                    contents.put(server)
                    contents.put(client)
                    contents.put(token)
                }
                return token
            } catch let failure as TokenEndpoint.Failure where failure.code == "authorization_pending" {
                continue
            } catch let failure as TokenEndpoint.Failure where failure.code == "slow_down" {
                interval += 5
            } catch let failure as TokenEndpoint.Failure where failure.code == "access_denied" {
                throw LoginFailure(description: "the sign-in was refused at \(verification)")
            } catch let failure as TokenEndpoint.Failure where failure.code == "expired_token" {
                break
            }
        }
        throw LoginFailure(description: "the user code \(userCode) expired before it was entered; run login --device again")
    }
}
