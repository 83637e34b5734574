import Foundation
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxySigning

/// One OAuth profile's token on the control plane: installs the stored token in the profile's
/// `AccessTokenSlot` at start, refreshes it before it expires (one refresh at a time, with jitter
/// and backoff), and keeps the current token while a refresh fails and the token still lasts.
/// The data plane only ever reads the slot.
package actor OAuthSession {
    /// What `check`, `/readyz` and the logs say about the token.
    package enum State: Sendable, Equatable, CustomStringConvertible {
        case valid(until: Double?, refreshable: Bool)
        case loginNeeded(String)
        case failing(String)

        /// Whether requests get a token (a failing refresh may still have one that lasts).
        package var hasToken: Bool {
            if case .valid = self { return true }
            return false
        }

        package var description: String {
            switch self {
            case .valid(let until, let refreshable):
                let expiry = until.map { ($0 > Date().timeIntervalSince1970 ? "valid until " : "expired at ") + Date(timeIntervalSince1970: $0).formatted(.iso8601) }
                    ?? "valid (no expiry given)"
                return expiry + (refreshable ? ", refreshable" : ", not refreshable")
            case .loginNeeded(let why): return "login needed: \(why)"
            case .failing(let why): return "failing: \(why)"
            }
        }
    }

    package nonisolated let profile: Profile
    package nonisolated let settings: OAuthSettings
    package nonisolated let slot: AccessTokenSlot
    let http: OAuthHTTPClient
    let store: TokenStore
    let log: LogSink
    private var current: StoredToken?
    private var refreshing: Task<StoredToken, any Error>?
    private var maintenance: Task<Void, Never>?
    /// When a refusal last started a refresh, and whether one waits for its turn.
    private var lastRejectionRefresh: Double = 0
    private var rejectionRefreshPending = false
    package private(set) var state: State {
        didSet { if state != oldValue { stateObserver?(state) } }
    }
    private var stateObserver: (@Sendable (State) -> Void)?

    package init(profile: Profile, settings: OAuthSettings, group: any EventLoopGroup, log: LogSink) {
        self.profile = profile
        self.settings = settings
        self.http = OAuthHTTPClient(group: group, caFile: profile.caFile)
        self.store = TokenStore(path: settings.tokenFile)
        self.log = log
        let problem = Self.loginProblem(profile: profile.name, grant: settings.grant, why: settings.grant == .clientCredentials ? "none fetched yet" : "not logged in")
        self.slot = AccessTokenSlot(problem: problem)
        self.state = .loginNeeded("not logged in")
    }

    /// The upstream URL tokens are stored under.
    package nonisolated var upstream: String { OAuthDiscovery.uri(of: profile.upstream) }

    /// The message a client gets while there is no token, with what fixes it: the login command,
    /// or for client credentials (no person involved) the client's settings.
    static func loginProblem(profile: String, grant: OAuthSettings.Grant = .authorizationCode, why: String) -> String {
        switch grant {
        case .authorizationCode:
            return "profile `\(profile)` has no OAuth access token (\(why)): run `mcp-auth-proxy login --profile \(profile)`"
        case .clientCredentials, .tokenExchange:
            return "profile `\(profile)` has no OAuth access token (\(why)): check its oauth client_id and client secret, then run `mcp-auth-proxy check --profile \(profile)`"
        }
    }

    /// Installs a usable token (stored, refreshed, or fetched by client credentials) and starts
    /// keeping it fresh. Never throws: a profile without a token serves the login error instead.
    package func start() async {
        slot.onRejected { [weak self] generation in
            // Only on an upstream 401: a control-plane task, never one per request.
            Task { await self?.tokenRejected(generation: generation) }
        }
        await ensureToken()
        guard maintenance == nil else { return }
        maintenance = Task { [weak self] in await self?.maintain() }
    }

    /// An upstream answered 401 to the token of `generation`: refresh now, once per token. The
    /// refused requests wait in the slot and go again with the new token (or get the login error).
    /// Refreshes started this way are at least a second apart, so a server that refuses every
    /// token cannot drive a refresh per request; the requests wait that second instead.
    func tokenRejected(generation: UInt64) async {
        // Already renewed (the waiters went at once), or a refresh is coming (its store releases them).
        guard slot.generation == generation, refreshing == nil, !rejectionRefreshPending else { return }
        let refusedAt = Date().timeIntervalSince1970
        let wait = lastRejectionRefresh + 1 - Date().timeIntervalSince1970
        if wait > 0 {
            rejectionRefreshPending = true
            try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            rejectionRefreshPending = false
            guard slot.generation == generation, refreshing == nil else { return }
        }
        lastRejectionRefresh = Date().timeIntervalSince1970
        var line = LogLine(level: .info, event: "oauth_token_rejected")
        line.field("profile", profile.name)
        log.emit(line)
        do {
            install(try await refresh(notBefore: refusedAt))
        } catch {
            failed(error)
            if slot.generation == generation {
                // The server refuses the token and no other can be had: waiting requests get the error.
                current = nil
                slot.clear(problem: Self.loginProblem(profile: profile.name, grant: settings.grant, why: "the upstream refused the token and refreshing failed: \(error)"))
            }
        }
    }

    /// `observer` hears the state now and at each change (for `/readyz`).
    package func observeState(_ observer: @escaping @Sendable (State) -> Void) {
        stateObserver = observer
        observer(state)
    }

    package func stop() {
        maintenance?.cancel()
        maintenance = nil
    }

    /// What the token file says of a profile, for `check`, read once: the token's state and who
    /// it is from (issuer, client and how it was registered, scopes; nil before any login or
    /// fetch). Starts nothing and shows no token.
    package static func stored(profile: Profile, settings: OAuthSettings,
                               now: Double = Date().timeIntervalSince1970) -> (state: State, origin: String?) {
        let contents: TokenFileContents
        do {
            contents = try TokenStore(path: settings.tokenFile).read()
        } catch {
            return (.failing("\(error)"), nil)
        }
        guard let token = contents.token(upstream: OAuthDiscovery.uri(of: profile.upstream), issuer: settings.issuer) else {
            let state: State = settings.grant == .clientCredentials ? .failing("no token yet; the proxy fetches one at start") : .loginNeeded("not logged in")
            return (state, nil)
        }
        let refreshable = token.refreshToken != nil || settings.grant == .clientCredentials
        let state: State = token.isValid(at: now) || refreshable
            ? .valid(until: token.expiresAt, refreshable: refreshable)
            : .loginNeeded("the token expired and cannot be refreshed")
        let how: String
        if settings.clientID != nil {
            how = "registered by hand"
        } else if token.clientID.hasPrefix("http") {
            how = "client ID metadata document"
        } else {
            how = "registered dynamically"
        }
        let scope = token.scope.map { ", scopes \($0)" } ?? ""
        return (state, "issuer \(token.issuer), client \(token.clientID) (\(how))\(scope)")
    }

    // MARK: Keeping the token

    private func ensureToken() async {
        let now = Date().timeIntervalSince1970
        do {
            if let stored = try store.read().token(upstream: upstream, issuer: settings.issuer),
               stored.isValid(at: now, margin: Self.refreshMargin(remaining: (stored.expiresAt ?? .infinity) - now)) {
                install(stored)
                return
            }
            install(try await refresh())
        } catch {
            failed(error)
        }
    }

    /// Sleeps until the token is due, refreshes, and on failure retries with backoff.
    private func maintain() async {
        var backoff: Double = 1
        while !Task.isCancelled {
            let delay: Double
            if let current, let expiresAt = current.expiresAt {
                let remaining = expiresAt - Date().timeIntervalSince1970
                // Up to 10 % jitter so that processes sharing a file do not all wake at once.
                let margin = Self.refreshMargin(remaining: remaining)
                delay = max(0, remaining - margin - Double.random(in: 0...(margin / 10)))
            } else if case .valid = state {
                // A token without a lifetime is kept until refused; only a refusal changes the state.
                try? await Task.sleep(nanoseconds: 60_000_000_000)
                continue
            } else if case .loginNeeded = state, settings.grant == .authorizationCode {
                // Someone may log in from another terminal: look at the file now and then.
                delay = 2
            } else {
                delay = backoff
                backoff = min(backoff * 2, 60)
            }
            try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            guard !Task.isCancelled else { return }
            if case .loginNeeded = state, settings.grant == .authorizationCode {
                if let stored = try? store.read().token(upstream: upstream, issuer: settings.issuer),
                   stored.isValid(at: Date().timeIntervalSince1970, margin: 1) {
                    install(stored)
                }
                continue
            }
            do {
                install(try await refresh())
                backoff = 1
            } catch {
                failed(error)
                // Keep the current token while it lasts; drop it once it has expired.
                if let current, !current.isValid(at: Date().timeIntervalSince1970) {
                    self.current = nil
                    slot.clear(problem: Self.loginProblem(profile: profile.name, grant: settings.grant, why: "the token expired and refreshing failed: \(error)"))
                }
            }
        }
    }

    /// How long before expiry a token is refreshed: a third of its remaining life, at least a
    /// second and a half (a request signed just before must still arrive in time), at most a minute.
    static func refreshMargin(remaining: Double) -> Double {
        min(60, max(1.5, remaining / 3))
    }

    /// One refresh at a time per process; across processes the token file's lock orders them,
    /// and a token another process refreshed meanwhile is taken instead of refreshing again.
    /// `notBefore`: an upstream refused the current token at that time; a token another process
    /// stored counts only if it was obtained later (it may have been refused too).
    package func refresh(notBefore: Double? = nil) async throws -> StoredToken {
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.performRefresh(notBefore: notBefore) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private func performRefresh(notBefore: Double?) async throws -> StoredToken {
        let known = current?.accessToken
        let upstream = upstream
        let settings = settings
        let http = http
        let profile = profile
        let outcome: Result<StoredToken, LoginNeeded> = try await store.update { contents in
            let now = Date().timeIntervalSince1970
            let stored = contents.token(upstream: upstream, issuer: settings.issuer)
            if let stored, stored.accessToken != known, stored.isValid(at: now, margin: 1),
               notBefore.map({ (stored.obtainedAt ?? 0) > $0 }) ?? true {
                return .success(stored)
            }
            if settings.grant == .clientCredentials {
                let server = try await Self.server(issuer: stored?.issuer ?? settings.issuer, contents: &contents, http: http, profile: profile, settings: settings)
                let client = try await ClientRegistration(http: http, settings: settings, profileName: profile.name).client(for: server, stored: nil)
                let resource = try await Self.resource(settings: settings, profile: profile, http: http, stored: stored)
                let token = try await TokenEndpoint(http: http, server: server, client: client, upstream: upstream)
                    .clientCredentials(scopes: settings.scopes, resource: resource)
                contents.put(token)
                return .success(token)
            }
            guard let stored else { return .failure(LoginNeeded(why: "not logged in")) }
            guard stored.refreshToken != nil else { return .failure(LoginNeeded(why: "the token expired and the server gave no refresh token")) }
            let server = try await Self.server(issuer: stored.issuer, contents: &contents, http: http, profile: profile, settings: settings)
            guard let client = contents.registration(issuer: stored.issuer) else { return .failure(LoginNeeded(why: "the client registration is missing")) }
            do {
                let token = try await TokenEndpoint(http: http, server: server, client: client, upstream: upstream)
                    .refresh(stored, resource: stored.resource.isEmpty ? nil : stored.resource)
                contents.put(token)
                return .success(token)
            } catch let failure as TokenEndpoint.Failure where failure.grantIsDead {
                // Forgotten in the file too, so that every process sharing it (and `check`) sees it.
                contents.removeTokens(upstream: upstream)
                return .failure(LoginNeeded(why: "the authorization server refused the refresh token (\(failure.code ?? "invalid_grant"))"))
            }
        }
        return try outcome.get()
    }

    /// The stored metadata of `issuer`, else discovered (and stored).
    static func server(issuer: String?, contents: inout TokenFileContents, http: OAuthHTTPClient, profile: Profile,
                       settings: OAuthSettings) async throws -> AuthorizationServerMetadata {
        if let issuer, let known = contents.server(issuer: issuer) { return known }
        let discovery = OAuthDiscovery(http: http, upstream: profile.upstream, settings: settings)
        let server: AuthorizationServerMetadata
        if let issuer {
            server = try await discovery.authorizationServer(issuer: issuer)
        } else {
            server = try await discovery.discover().server
        }
        contents.put(server)
        return server
    }

    static func resource(settings: OAuthSettings, profile: Profile, http: OAuthHTTPClient, stored: StoredToken?) async throws -> String? {
        switch settings.resource {
        case .none: return nil
        case .uri(let uri): return uri
        case .auto:
            if let stored { return stored.resource.isEmpty ? nil : stored.resource }
            return OAuthDiscovery.uri(of: profile.upstream)
        }
    }

    private func install(_ token: StoredToken) {
        let wasValid = { if case .valid = state { return true } else { return false } }()
        let refreshed = current != nil
        current = token
        slot.store(accessToken: token.accessToken)
        state = .valid(until: token.expiresAt, refreshable: token.refreshToken != nil || settings.grant == .clientCredentials)
        let level: LogLevel = wasValid ? .debug : .info
        guard log.isEnabled(level) else { return }
        var line = LogLine(level: level, event: refreshed ? "oauth_token_refreshed" : "oauth_token_ready")
        line.field("profile", profile.name)
        if let expiresAt = token.expiresAt { line.field("expires_in_s", String(Int(expiresAt - Date().timeIntervalSince1970))) }
        log.emit(line)
    }

    /// Logged once per change of state, never with a token.
    private func failed(_ error: any Error) {
        let next: State
        if let loginNeeded = error as? LoginNeeded {
            next = .loginNeeded(loginNeeded.why)
            current = nil
            slot.clear(problem: Self.loginProblem(profile: profile.name, grant: settings.grant, why: loginNeeded.why))
        } else {
            next = .failing("\(error)")
            if current == nil {
                slot.clear(problem: Self.loginProblem(profile: profile.name, grant: settings.grant, why: "\(error)"))
            }
        }
        guard next != state else { return }
        state = next
        var line = LogLine(level: .warning, event: "oauth_token_unavailable")
        line.field("profile", profile.name)
        line.field("state", next.description)
        if case .loginNeeded = next, settings.grant == .authorizationCode { line.field("fix", "mcp-auth-proxy login --profile \(profile.name)") }
        log.emit(line)
    }
}

/// No token can be had without a person logging in again.
struct LoginNeeded: Error, CustomStringConvertible {
    var why: String
    var description: String { why }
}
