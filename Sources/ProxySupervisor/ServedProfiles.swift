import NIOCore
import ProxyAudit
import ProxyTracing
import ProxyAWS
import ProxyAdmin
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxyMetrics
import ProxyOAuth
import ProxySigning

/// The listeners being served, keyed by address, and the one place that changes them: at start-up
/// (from nothing) and at each reload. A change is prepared completely before anything is touched —
/// every new runtime built, every new address bound — so a failure at any step leaves the old set
/// serving untouched (what was newly bound is closed again).
actor ServedProfiles {
    struct Entry: Sendable {
        var name: String
        var profile: Profile
        let listener: ProfileListener
        let stop: StopSignal
    }

    struct Outcome: Sendable {
        /// Newly bound listeners; the caller serves each as a service.
        var added: [Entry] = []
        var removed: [String] = []
        /// Profiles whose settings changed on a listener that stays (`old→new` when renamed).
        var changed: [String] = []
        var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    struct BindFailed: Error, CustomStringConvertible {
        let profile: Profile
        let underlying: any Error
        var description: String { "cannot listen on \(profile.listenDescription) for profile `\(profile.name)`: \(underlying)" }
    }

    private var entries: [String: Entry] = [:]
    private let engine: ForwardingEngine
    private let signer: any RequestSigner
    private let log: LogSink
    private let metrics: ProxyMetrics?
    /// One OAuth session per `auth_scheme: oauth` profile, kept across reloads that leave its
    /// upstream and `oauth:` block alone (its token stays in memory and keeps being refreshed).
    private var sessions: [String: OAuthSession] = [:]
    /// One key set per `client_auth: oauth` profile, kept across reloads that leave its
    /// `client_oauth:` block and `ca_file` alone (a reload that changes them fetches anew).
    private var clientKeys: [String: ClientKeysRefresher] = [:]
    /// One token exchanger per `oauth.grant: token_exchange` profile, kept like a session.
    private var exchangers: [String: TokenExchanger] = [:]
    /// One credential keeper per `auth_scheme: aws-sigv4` profile, kept across reloads that leave
    /// its `aws:` block and `ca_file` alone.
    private var awsKeepers: [String: AWSCredentialsKeeper] = [:]
    /// One set of rate-limit buckets per profile with `rate_limit:`, kept across every reload that
    /// keeps the profile, whatever its limits become (clients keep what they have used).
    private var rateLimitStates: [String: RateLimitState] = [:]
    /// Where sessions report their token's state (the latest `apply`'s).
    private var readiness: Readiness?

    /// The audit trail the served runtimes were built with (the last successful `apply`'s).
    private var audit: AuditTrail?

    /// `otel:`, read at start-up: every runtime records into its sink.
    private let tracer: Tracer?

    init(engine: ForwardingEngine, signer: any RequestSigner, log: LogSink, metrics: ProxyMetrics?, tracer: Tracer? = nil) {
        self.tracer = tracer
        self.engine = engine
        self.signer = signer
        self.log = log
        self.metrics = metrics
    }

    var profiles: [Profile] { entries.values.map(\.profile) }

    /// Makes `profiles` the served set. Throws (changing nothing) when a runtime cannot be built
    /// or an address cannot be bound.
    /// A new `audit` trail rebuilds every runtime, changed or not.
    func apply(_ profiles: [Profile], readiness: Readiness, audit: AuditTrail? = nil) async throws -> Outcome {
        self.readiness = readiness
        let auditChanged = audit !== self.audit
        var wanted: [(key: String, profile: Profile)] = []
        for profile in profiles { wanted.append((Self.address(profile), profile)) }
        let wantedKeys = Set(wanted.map(\.key))

        var changes: [(key: String, runtime: ProfileRuntime, profile: Profile)] = []
        var additions: [(profile: Profile, runtime: ProfileRuntime)] = []
        for (key, profile) in wanted {
            if let entry = entries[key] {
                guard auditChanged || !entry.profile.hasSameSettings(as: profile) else { continue }
                changes.append((key, try await runtime(for: profile, audit: audit), profile))
            } else {
                additions.append((profile, try await runtime(for: profile, audit: audit)))
            }
        }

        var bound: [(profile: Profile, listener: ProfileListener)] = []
        for (profile, runtime) in additions {
            do {
                bound.append((profile, try await ProfileListener.bind(runtime: runtime, engine: engine)))
            } catch {
                for (_, listener) in bound { await listener.shutdown(grace: .zero) }
                throw BindFailed(profile: profile, underlying: error)
            }
        }

        // Everything that could fail has: from here on the new set is served.
        self.audit = audit
        var outcome = Outcome()
        for (key, runtime, profile) in changes {
            guard var entry = entries[key] else { continue }
            let old = entry.listener.runtime
            entry.listener.slot.store(runtime)
            // In-flight requests finish on the old upstream connections; none go back to the pool.
            await engine.retire(old.endpoint)
            if entry.name != profile.name {
                readiness.remove(entry.name)
                readiness.set(.ready, for: profile.name)
                runtime.metrics?.listenerReady(true)
                outcome.changed.append("\(entry.name)→\(profile.name)")
            } else {
                outcome.changed.append(profile.name)
            }
            entry.name = profile.name
            entry.profile = profile
            entries[key] = entry
        }
        for key in entries.keys.sorted() where !wantedKeys.contains(key) {
            guard let entry = entries.removeValue(forKey: key) else { continue }
            entry.stop.fire(.removed)
            outcome.removed.append(entry.name)
        }
        for (profile, listener) in bound {
            let entry = Entry(name: profile.name, profile: profile, listener: listener, stop: StopSignal())
            entries[Self.address(profile)] = entry
            outcome.added.append(entry)
        }
        let clientOAuthProfiles = Set(profiles.filter { $0.clientAuth.oauth != nil }.map(\.name))
        for (name, refresher) in clientKeys where !clientOAuthProfiles.contains(name) {
            await refresher.stop()
            clientKeys[name] = nil
            readiness.setClientKeysProblem(nil, for: name)
        }
        let exchanging = Set(profiles.filter { $0.oauth?.grant == .tokenExchange }.map(\.name))
        for name in exchangers.keys where !exchanging.contains(name) { exchangers[name] = nil }
        let oauthProfiles = Set(profiles.filter { $0.oauth != nil && $0.oauth?.grant != .tokenExchange }.map(\.name))
        for (name, session) in sessions where !oauthProfiles.contains(name) {
            await session.stop()
            sessions[name] = nil
            readiness.setCredentialProblem(nil, for: name)
        }
        let limited = Set(profiles.filter { $0.rateLimit != nil }.map(\.name))
        for name in rateLimitStates.keys where !limited.contains(name) { rateLimitStates[name] = nil }
        let awsProfiles = Set(profiles.filter { $0.aws != nil }.map(\.name))
        for (name, keeper) in awsKeepers where !awsProfiles.contains(name) {
            await keeper.stop()
            awsKeepers[name] = nil
            readiness.setCredentialProblem(nil, for: name)
        }
        return outcome
    }

    /// Asks every listener to stop (used when start-up fails after some were bound).
    func stopAll() {
        for entry in entries.values { entry.stop.fire(.shutdown) }
    }

    /// Stops refreshing tokens (at shutdown).
    func stopSessions() async {
        for session in sessions.values { await session.stop() }
        sessions = [:]
        for refresher in clientKeys.values { await refresher.stop() }
        clientKeys = [:]
        for keeper in awsKeepers.values { await keeper.stop() }
        awsKeepers = [:]
    }

    /// The OAuth sessions' states, for `/readyz` and logs.
    func oauthStates() async -> [(profile: String, state: OAuthSession.State)] {
        var states: [(profile: String, state: OAuthSession.State)] = []
        for (name, session) in sessions.sorted(by: { $0.key < $1.key }) { states.append((name, await session.state)) }
        return states
    }

    private func runtime(for profile: Profile, audit: AuditTrail?) async throws -> ProfileRuntime {
        try ProfileRuntime(profile: profile, signer: signer, log: log, metrics: metrics?.profile(profile.name),
                           accessToken: await session(for: profile)?.slot, clientKeys: await keys(for: profile)?.slot,
                           tokenExchange: exchanger(for: profile), introspector: introspector(for: profile),
                           awsCredentials: await awsKeeper(for: profile)?.slot, rateLimitState: rateLimitState(for: profile),
                           audit: audit, tracer: tracer)
    }

    private func rateLimitState(for profile: Profile) -> RateLimitState? {
        guard profile.rateLimit != nil else { return nil }
        if let existing = rateLimitStates[profile.name] { return existing }
        let made = RateLimitState()
        rateLimitStates[profile.name] = made
        return made
    }

    /// The profile's AWS credential keeper: the running one when its settings are unchanged, else
    /// a new one that has asked its source once before the listener serves.
    private func awsKeeper(for profile: Profile) async -> AWSCredentialsKeeper? {
        guard let settings = profile.aws else { return nil }
        if let existing = awsKeepers[profile.name], existing.settings == settings, existing.caFile == profile.caFile { return existing }
        let keeper = AWSCredentialsKeeper(profile: profile.name, settings: settings, caFile: profile.caFile, group: engine.group, log: log)
        if let readiness {
            let name = profile.name
            await keeper.observe { readiness.setCredentialProblem($0, for: name) }
        }
        await keeper.start()
        if let old = awsKeepers[profile.name] { await old.stop() }
        awsKeepers[profile.name] = keeper
        return keeper
    }

    /// The profile's introspection client (`client_oauth.introspection_client_id`); stateless
    /// beyond its endpoint, so each runtime gets its own.
    private func introspector(for profile: Profile) -> TokenIntrospector? {
        profile.clientAuth.oauth.flatMap { TokenIntrospector(profile: profile.name, settings: $0, caFile: profile.caFile, group: engine.group, log: log) }
    }

    private func exchanger(for profile: Profile) -> TokenExchanger? {
        guard let settings = profile.oauth, settings.grant == .tokenExchange else {
            exchangers[profile.name] = nil
            return nil
        }
        if let existing = exchangers[profile.name], existing.settings == settings, existing.profile.upstream == profile.upstream,
           existing.profile.caFile == profile.caFile {
            return existing
        }
        let exchanger = TokenExchanger(profile: profile, settings: settings, group: engine.group, log: log)
        exchangers[profile.name] = exchanger
        return exchanger
    }

    /// The profile's client key set: the running one when its settings are unchanged, else a new
    /// one that has tried its first fetch before the listener serves.
    private func keys(for profile: Profile) async -> ClientKeysRefresher? {
        guard let settings = profile.clientAuth.oauth else { return nil }
        if let existing = clientKeys[profile.name], existing.settings == settings, existing.caFile == profile.caFile { return existing }
        let refresher = ClientKeysRefresher(profile: profile.name, settings: settings, caFile: profile.caFile, group: engine.group, log: log)
        let name = profile.name
        let readiness = self.readiness
        let metrics = self.metrics?.profile(name)
        await refresher.observe(problem: { readiness?.setClientKeysProblem($0, for: name) },
                                fetches: { metrics?.countClientKeysFetch(ok: $0) })
        await refresher.start()
        if let old = clientKeys[profile.name] { await old.stop() }
        clientKeys[profile.name] = refresher
        return refresher
    }

    /// The profile's OAuth session: the running one when its settings are unchanged, else a new one
    /// that has installed its token (or its login error) before the listener serves.
    private func session(for profile: Profile) async -> OAuthSession? {
        guard let settings = profile.oauth, settings.grant != .tokenExchange else { return nil }
        if let existing = sessions[profile.name], existing.settings == settings, existing.profile.upstream == profile.upstream,
           existing.profile.caFile == profile.caFile {
            return existing
        }
        let session = OAuthSession(profile: profile, settings: settings, group: engine.group, log: log)
        if let readiness {
            let name = profile.name
            await session.observeState { state in readiness.setCredentialProblem(state.hasToken ? nil : state.description, for: name) }
        }
        await session.start()
        if let old = sessions[profile.name] { await old.stop() }
        sessions[profile.name] = session
        return session
    }

    private static func address(_ profile: Profile) -> String {
        if let unix = profile.listenUnix { return "unix:\(unix.path)" }
        return "\(profile.listenHost == "localhost" ? "127.0.0.1" : profile.listenHost):\(profile.listenPort)"
    }
}
