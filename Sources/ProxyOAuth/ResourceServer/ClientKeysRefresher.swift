import Foundation
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxyResourceServer

/// Keeps a `client_auth: oauth` listener's key set: fetches the identity provider's JWKS (from
/// `jwks_uri`, else the one its metadata names) at start and every `refreshInterval`, and at once
/// when the data plane meets an unknown `kid` (which `KeySetSlot` bounds to once per 30 s). A
/// failed fetch keeps the last good set: it is logged, counted, and `/readyz` says so.
package actor ClientKeysRefresher {
    package nonisolated let settings: ClientOAuthSettings
    package nonisolated let caFile: String?
    package nonisolated let slot = KeySetSlot()
    let profile: String
    let http: OAuthHTTPClient
    let log: LogSink
    private var maintenance: Task<Void, Never>?
    private var fetching: Task<Void, Never>?
    private var observer: (@Sendable (String?) -> Void)?
    private var fetchCounter: (@Sendable (Bool) -> Void)?
    private var lastProblem: String?
    private var lastKeyIDs: [String]?
    /// The JWKS location, once found.
    private var jwksURL: URL?

    /// Identity providers rotate keys on a scale of days and publish the next key ahead of use; an
    /// unknown `kid` fetches sooner. `jwks_refresh` (default 5 min) between fetches, at most 10 s
    /// while they fail.
    var refreshInterval: Duration { .milliseconds(settings.jwksRefresh.milliseconds) }
    var retryInterval: Duration { min(.seconds(10), refreshInterval) }

    package init(profile: String, settings: ClientOAuthSettings, caFile: String?, group: any EventLoopGroup, log: LogSink) {
        self.profile = profile
        self.settings = settings
        self.caFile = caFile
        http = OAuthHTTPClient(group: group, caFile: caFile)
        self.log = log
    }

    /// `problem` is nil once a set is in use; the last fetch's failure otherwise.
    package func observe(problem: @escaping @Sendable (String?) -> Void, fetches: @escaping @Sendable (Bool) -> Void) {
        observer = problem
        fetchCounter = fetches
        problem(lastProblem)
    }

    /// Fetches once (so the listener starts with keys when the provider is up), then keeps them.
    package func start() async {
        let slot = self.slot
        slot.onRefetchRequested { [weak self] in
            guard let self else { return }
            Task { await self.fetchNow() }
        }
        await fetch()
        maintenance = Task { [weak self] in
            while !Task.isCancelled {
                let failing = await self?.lastProblem != nil
                guard let interval = await self?.nextInterval(failing: failing) else { return }
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                await self.fetch()
            }
        }
    }

    func nextInterval(failing: Bool) -> Duration { failing ? retryInterval : refreshInterval }

    package func stop() {
        maintenance?.cancel()
        maintenance = nil
        slot.onRefetchRequested {}
    }

    private func fetchNow() async {
        if let fetching { return await fetching.value }
        let task = Task { await self.fetch() }
        fetching = task
        await task.value
        fetching = nil
    }

    func fetch() async {
        do {
            let url = try await keysURL()
            let response = try await http.get(url, accept: "application/jwk-set+json, application/json")
            guard response.status == 200 else { throw Failure(description: "the JWKS at \(url.absoluteString) answered \(response.status)") }
            switch KeySet.parse(response.body) {
            case .success(let keys):
                slot.install(keys)
                fetchCounter?(true)
                report(problem: nil, keys: keys)
            case .failure(let failure):
                throw Failure(description: "\(failure) (\(url.absoluteString))")
            }
        } catch {
            // A failure to find the JWKS may be a moved metadata document: look it up again next time.
            if settings.jwksURI == nil { jwksURL = nil }
            slot.fetchFailed("\(error)")
            fetchCounter?(false)
            report(problem: "\(error)", keys: nil)
        }
    }

    private func keysURL() async throws -> URL {
        if let jwksURL { return jwksURL }
        if let configured = settings.jwksURI, let url = URL(string: configured) {
            jwksURL = url
            return url
        }
        let metadata = try await IssuerMetadata.fetch(issuer: settings.issuer, http: http)
        guard let named = metadata.jwksURI, let jwks = URL(string: named), OAuthDiscovery.isAcceptable(jwks) else {
            throw Failure(description: "the metadata of \(settings.issuer) names no https jwks_uri; set client_oauth.jwks_uri")
        }
        jwksURL = jwks
        return jwks
    }

    /// Logged when the state changes (and on every key set that differs, at info).
    private func report(problem: String?, keys: KeySet?) {
        let changed = problem != lastProblem
        lastProblem = problem
        if changed { observer?(problem) }
        if let problem {
            guard changed else { return }
            var line = LogLine(level: .warning, event: "client_keys_unavailable")
            line.field("profile", profile)
            line.field("problem", problem)
            line.field("keeping", slot.keys.count > 0 ? "the last good key set (\(slot.keys.count) keys)" : "no keys: every token is refused")
            log.emit(line)
        } else if let keys, keys.keyIDs != lastKeyIDs || changed, log.isEnabled(.info) {
            lastKeyIDs = keys.keyIDs
            var line = LogLine(level: .info, event: "client_keys_ready")
            line.field("profile", profile)
            line.field("keys", keys.keyIDs.joined(separator: ","))
            if !keys.skipped.isEmpty { line.field("skipped", keys.skipped.joined(separator: "; ")) }
            log.emit(line)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}

/// The fields the resource-server side needs from the identity provider's RFC 8414 / OpenID
/// Connect metadata, looked up in the same order as for the upstream direction.
struct IssuerMetadata: Decodable {
    let issuer: String
    let jwksURI: String?
    let introspectionEndpoint: String?

    enum CodingKeys: String, CodingKey {
        case issuer
        case jwksURI = "jwks_uri"
        case introspectionEndpoint = "introspection_endpoint"
    }

    static func fetch(issuer: String, http: OAuthHTTPClient) async throws -> IssuerMetadata {
        var tried: [String] = []
        for url in OAuthDiscovery.authorizationServerMetadataURLs(issuer: issuer) {
            tried.append(url.absoluteString)
            guard let response = try? await http.get(url), response.status == 200 else { continue }
            guard let metadata = try? JSONDecoder().decode(IssuerMetadata.self, from: Data(response.body)) else {
                throw ClientKeysRefresher.Failure(description: "the metadata at \(url.absoluteString) is not valid JSON metadata")
            }
            guard OAuthDiscovery.sameIssuer(metadata.issuer, issuer) else {
                throw ClientKeysRefresher.Failure(description: "the metadata at \(url.absoluteString) names the issuer \(metadata.issuer), not \(issuer): refusing it")
            }
            return metadata
        }
        throw ClientKeysRefresher.Failure(description: "no metadata for the issuer \(issuer) at \(tried.joined(separator: ", "))")
    }
}
