import Crypto
import NIOConcurrencyHelpers
import ProxyLogging

/// One set of AWS credentials: an access key, its secret, and for temporary credentials the
/// session token and when they expire. `description` never shows the secret or the token.
package struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    package let accessKeyID: String
    package let secretAccessKey: [UInt8]
    package let sessionToken: String?
    /// Unix seconds; nil for long-term keys.
    package let expiration: Int64?

    package init(accessKeyID: String, secretAccessKey: [UInt8], sessionToken: String? = nil, expiration: Int64? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    package var description: String {
        "<AWS credentials \(accessKeyID)\(sessionToken == nil ? "" : ", temporary")\(expiration.map { ", expiring at \($0)" } ?? "")>"
    }
}

/// A profile's current AWS credentials, shared by the control plane (which finds and renews them)
/// and the data plane (which signs with them). The signing key derived for a day is kept with
/// them, so a request costs one lock and one HMAC with an already keyed state.
package final class AWSCredentialSlot: Sendable, CustomStringConvertible {
    /// What one request signs with, read in one lock.
    package struct Material {
        package let accessKeyID: [UInt8]
        package let sessionToken: [UInt8]?
        package let key: PreparedHMAC<SHA256>
    }

    private struct State {
        var credentials: AWSCredentials?
        var problem: String
        /// The signing key of `day` (days since the epoch) for the stored credentials, with the
        /// key id and token as bytes, ready to be written.
        var derived: (day: Int64, material: Material)?
    }

    // PreparedHMAC is a value; each reader gets its own copy out of the lock.
    private let state: NIOLockedValueBox<State>
    package let region: String
    package let service: String

    package init(region: String, service: String, problem: String) {
        self.region = region
        self.service = service
        state = NIOLockedValueBox(State(credentials: nil, problem: problem))
    }

    package func store(_ credentials: AWSCredentials) {
        state.withLockedValue { state in
            if state.credentials != credentials { state.derived = nil }
            state.credentials = credentials
        }
    }

    /// Drops the credentials: requests are answered with `problem` until the next `store`.
    package func clear(problem: String) {
        state.withLockedValue { state in
            state.credentials = nil
            state.derived = nil
            state.problem = problem
        }
    }

    /// Why there are no credentials, or nil when there are.
    package var problem: String? { state.withLockedValue { $0.credentials == nil ? $0.problem : nil } }

    package var credentials: AWSCredentials? { state.withLockedValue { $0.credentials } }

    /// The access key, token and keyed signing state for the UTC day of `unixSeconds`; nil
    /// without credentials. The key is derived once a day (and for each new set of credentials).
    package func material(unixSeconds: Int64) -> Material? {
        let day = LogClock.daysAndSeconds(unixSeconds: unixSeconds).days
        return state.withLockedValue { state in
            guard let credentials = state.credentials else { return nil }
            if let derived = state.derived, derived.day == day { return derived.material }
            let date = SigV4.amzDate(unixSeconds: unixSeconds)
            let material = Material(accessKeyID: Array(credentials.accessKeyID.utf8), sessionToken: credentials.sessionToken.map { Array($0.utf8) },
                                    key: SigV4.signingKey(secret: credentials.secretAccessKey, day: date.prefix(8), region: region, service: service))
            state.derived = (day, material)
            return material
        }
    }

    package var description: String { state.withLockedValue { $0.credentials?.description ?? "<no AWS credentials>" } }
}
