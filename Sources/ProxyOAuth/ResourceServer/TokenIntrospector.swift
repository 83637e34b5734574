import Foundation
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxyResourceServer

/// `client_oauth.introspection_client_id`: asks the identity provider's RFC 7662 endpoint about
/// an opaque token, as its configured client (HTTP Basic with the secret, or `client_id` alone),
/// and holds the answer to the rules a JWT's claims are held to (`checkIntrospection`).
package actor TokenIntrospector: OpaqueTokenChecking {
    package nonisolated let settings: ClientOAuthSettings
    let introspection: ClientOAuthSettings.Introspection
    let http: OAuthHTTPClient
    let profile: String
    let log: LogSink
    private var endpoint: URL?

    package init?(profile: String, settings: ClientOAuthSettings, caFile: String?, group: any EventLoopGroup, log: LogSink) {
        guard let introspection = settings.introspection else { return nil }
        self.settings = settings
        self.introspection = introspection
        self.profile = profile
        http = OAuthHTTPClient(group: group, caFile: caFile, timeout: .seconds(10))
        self.log = log
    }

    package func introspect(_ token: String) async -> AccessTokenVerifier.Outcome {
        do {
            let url = try await introspectionURL()
            var headers: [(String, String)] = []
            var form = [("token", token), ("token_type_hint", "access_token")]
            if let secret = introspection.clientSecret {
                let credentials = FormEncoding.escape(introspection.clientID) + ":" + FormEncoding.escape(String(decoding: secret.bytes, as: UTF8.self))
                headers.append(("authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
            } else {
                form.append(("client_id", introspection.clientID))
            }
            let response = try await http.postForm(url, form, headers: headers)
            guard response.status == 200 else {
                return failed("the introspection endpoint answered \(response.status)")
            }
            return AccessTokenVerifier(settings: settings).checkIntrospection(response.body, now: Int64(Date().timeIntervalSince1970))
        } catch {
            // A lookup that failed is no answer about the token: refused now, asked again next time.
            if settings.introspection?.endpoint == nil { endpoint = nil }
            return failed("\(error)")
        }
    }

    private func failed(_ problem: String) -> AccessTokenVerifier.Outcome {
        var line = LogLine(level: .warning, event: "client_token_introspection_failed")
        line.field("profile", profile)
        line.field("problem", problem)
        log.emit(line)
        return .refused(reason: "introspection failed: \(problem)")
    }

    private func introspectionURL() async throws -> URL {
        if let endpoint { return endpoint }
        var named = introspection.endpoint
        if named == nil { named = try await IssuerMetadata.fetch(issuer: settings.issuer, http: http).introspectionEndpoint }
        guard let named, let url = URL(string: named), OAuthDiscovery.isAcceptable(url) else {
            throw ClientKeysRefresher.Failure(description: "the issuer's metadata names no introspection_endpoint; set client_oauth.introspection_endpoint")
        }
        endpoint = url
        return url
    }
}
