import Foundation
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxySigning

/// `oauth.grant: token_exchange`: exchanges each client's access token for one whose audience is
/// the upstream (RFC 8693), at the authorization server `oauth.issuer` names (else the one the
/// upstream's metadata names). Tokens are cached per subject until shortly before they expire, and
/// one exchange per subject runs at a time. The client's own token never goes upstream.
package actor TokenExchanger: TokenExchanging {
    package nonisolated let profile: Profile
    package nonisolated let settings: OAuthSettings
    let http: OAuthHTTPClient
    let log: LogSink
    private var server: AuthorizationServerMetadata?
    private var client: StoredRegistration?
    private var resource: String??
    private var cache: [String: ExchangedToken] = [:]
    private var inFlight: [String: Task<ExchangedToken, any Error>] = [:]

    /// Cached tokens are bounded: past this many subjects, expired ones are dropped, then all.
    static let cacheLimit = 10_000
    package init(profile: Profile, settings: OAuthSettings, group: any EventLoopGroup, log: LogSink) {
        self.profile = profile
        self.settings = settings
        http = OAuthHTTPClient(group: group, caFile: profile.caFile)
        self.log = log
    }

    package func exchange(subjectToken: String, subject: String, fresh: Bool) async throws -> ExchangedToken {
        let now = Int64(Date().timeIntervalSince1970)
        if fresh { cache[subject] = nil }
        if let cached = cache[subject], cached.lasts(at: now) { return cached }
        if let running = inFlight[subject] { return try await running.value }
        let task = Task { try await self.perform(subjectToken: subjectToken) }
        inFlight[subject] = task
        defer { inFlight[subject] = nil }
        do {
            let token = try await task.value
            if cache.count >= Self.cacheLimit {
                cache = cache.filter { $0.value.expiresAt > now }
                if cache.count >= Self.cacheLimit { cache.removeAll() }
            }
            cache[subject] = token
            return token
        } catch {
            var line = LogLine(level: .warning, event: "oauth_token_exchange_failed")
            line.field("profile", profile.name)
            line.field("subject", String(subject.prefix(64)))
            line.field("problem", "\(error)")
            log.emit(line)
            throw error
        }
    }

    private func perform(subjectToken: String) async throws -> ExchangedToken {
        let server = try await authorizationServer()
        if client == nil {
            client = try await ClientRegistration(http: http, settings: settings, profileName: profile.name).client(for: server, stored: nil)
        }
        if resource == nil {
            resource = .some(try await OAuthSession.resource(settings: settings, profile: profile, http: http, stored: nil))
        }
        let token = try await TokenEndpoint(http: http, server: server, client: client!, upstream: OAuthDiscovery.uri(of: profile.upstream))
            .tokenExchange(subjectToken: subjectToken, scopes: settings.scopes, resource: resource ?? nil)
        // Without expires_in, five minutes: the exchange is cheap to repeat, a stale token is not.
        let expiresAt = token.expiresAt.map { Int64($0) } ?? Int64(Date().timeIntervalSince1970) + 300
        return ExchangedToken(accessToken: token.accessToken, expiresAt: expiresAt)
    }

    private func authorizationServer() async throws -> AuthorizationServerMetadata {
        if let server { return server }
        let discovery = OAuthDiscovery(http: http, upstream: profile.upstream, settings: settings)
        let found: AuthorizationServerMetadata
        if let issuer = settings.issuer {
            found = try await discovery.authorizationServer(issuer: issuer, requiresPKCE: false)
        } else {
            found = try await discovery.discover(requiresPKCE: false).server
        }
        server = found
        return found
    }
}
