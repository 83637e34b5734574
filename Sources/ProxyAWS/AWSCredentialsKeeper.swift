import Foundation
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxyOAuth
import ProxySigning

/// Keeps an `aws-sigv4` profile's credentials in its slot: asks the source before the listener
/// serves, then again 5 minutes before temporary credentials expire (halfway, for short-lived
/// ones), every 5 minutes for long-term keys (a rotated key in a file is picked up), and every
/// 10 s while asking fails. A failed renewal keeps credentials that are still valid; expired
/// ones are dropped, so requests get a 503 with the reason rather than a refused signature.
/// The request path only reads the slot.
package actor AWSCredentialsKeeper {
    package nonisolated let settings: AWSSigningSettings
    package nonisolated let slot: AWSCredentialSlot
    package nonisolated let caFile: String?
    let profile: String
    let resolver: AWSCredentialResolver
    let log: LogSink
    private var maintenance: Task<Void, Never>?
    private var observer: (@Sendable (String?) -> Void)?
    private var lastProblem: String?
    /// What the observer was last told (outer nil: nothing yet).
    private var observed: String??
    private var asked = false

    static let renewalMargin: Int64 = 300
    static let retryInterval: Int64 = 10
    static let longTermInterval: Int64 = 300

    package init(profile: String, settings: AWSSigningSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
                 caFile: String?, group: any EventLoopGroup, log: LogSink) {
        self.profile = profile
        self.settings = settings
        self.caFile = caFile
        slot = AWSCredentialSlot(region: settings.region, service: settings.service, problem: "profile `\(profile)` has no AWS credentials yet")
        resolver = AWSCredentialResolver(settings: settings, environment: environment, http: OAuthHTTPClient(group: group, caFile: caFile))
        self.log = log
    }

    /// `problem` is nil while there are credentials to sign with, the reason otherwise.
    package func observe(problem: @escaping @Sendable (String?) -> Void) {
        observer = problem
        if asked {
            observed = .some(slot.problem)
            problem(slot.problem)
        }
    }

    /// Asks once (so the listener starts with credentials when the source has them), then keeps them.
    package func start() async {
        var delay = await renew()
        maintenance = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(delay))
                guard !Task.isCancelled, let self else { return }
                delay = await self.renew()
            }
        }
    }

    package func stop() {
        maintenance?.cancel()
        maintenance = nil
    }

    /// Asks the source; returns the seconds until the next ask.
    func renew() async -> Int64 {
        asked = true
        let now = Int64(Date().timeIntervalSince1970)
        do {
            let credentials = try await resolver.resolve()
            if let expiration = credentials.expiration, expiration <= now {
                throw AWSCredentialResolver.Failure("\(settings.credentials) gave credentials that expired at \(Self.time(expiration))")
            }
            slot.store(credentials)
            report(problem: nil, credentials: credentials)
            return Self.delay(until: credentials.expiration, now: now)
        } catch {
            let problem = "no AWS credentials from \(settings.credentials): \(error)"
            if let current = slot.credentials, (current.expiration ?? .max) > now + Self.retryInterval {
                report(problem: problem, credentials: current)
            } else {
                slot.clear(problem: problem)
                report(problem: problem, credentials: nil)
            }
            return Self.retryInterval
        }
    }

    /// 5 minutes before expiry, or halfway when less than 10 minutes are left; long-term keys every 5 minutes.
    static func delay(until expiration: Int64?, now: Int64) -> Int64 {
        guard let expiration else { return longTermInterval }
        let left = expiration - now
        return max(1, left > 2 * renewalMargin ? left - renewalMargin : left / 2)
    }

    /// Logged when the state changes, and at info for each renewal of temporary credentials.
    private func report(problem: String?, credentials: AWSCredentials?) {
        let changed = problem != lastProblem
        lastProblem = problem
        // The observer (readiness) hears whether requests can be signed, not every failed renewal.
        let available = slot.problem
        if let observer, observed != .some(available) {
            observed = .some(available)
            observer(available)
        }
        if let problem {
            guard changed else { return }
            var line = LogLine(level: credentials == nil ? .error : .warning, event: "aws_credentials_unavailable")
            line.field("profile", profile)
            line.field("problem", problem)
            line.field("keeping", credentials.map { "the current credentials, valid until \($0.expiration.map(Self.time) ?? "revoked")" } ?? "none: requests are answered 503")
            log.emit(line)
        } else if let credentials, changed || credentials.expiration != nil, log.isEnabled(.info) {
            var line = LogLine(level: .info, event: "aws_credentials_ready")
            line.field("profile", profile)
            line.field("source", settings.credentials.description)
            line.field("expires", credentials.expiration.map(Self.time) ?? "never (long-term key)")
            log.emit(line)
        }
    }

    static func time(_ unixSeconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }
}
