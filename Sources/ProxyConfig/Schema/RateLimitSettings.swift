/// A profile's `rate_limit:` block: token buckets per client and for the whole profile
/// (docs/behaviour.md, "Rate limits"). A request over either limit is answered 429 with
/// `Retry-After` and never reaches the upstream.
package struct RateLimitSettings: Sendable, Hashable {
    /// The largest `requests` or `burst` accepted (nine digits).
    package static let maximumCount = 999_999_999

    /// `{requests: 600, per: 1m, burst: 60}`: on average `requests` every `per`, at most `burst`
    /// at once (default: `requests`, a full period's worth).
    package struct Rate: Sendable, Hashable, CustomStringConvertible {
        package let requests: Int
        package let per: ConfigDuration
        package let burst: Int

        package init(requests: Int, per: ConfigDuration, burst: Int? = nil) {
            self.requests = requests
            self.per = per
            self.burst = burst ?? requests
        }

        /// The time one request's token takes to come back, in nanoseconds (at least 1).
        package var nanosecondsPerRequest: Int64 {
            max(1, per.milliseconds * 1_000_000 / Int64(requests))
        }

        package var description: String { "\(requests) per \(per) (burst \(burst))" }
    }

    /// Per client: the `client_auth: bearer` token, the `client_auth: oauth` subject, or (with
    /// `client_auth: none`) the remote address.
    package let perClient: Rate?
    package let perProfile: Rate?
    /// Only `tools/call` requests take a token; everything else passes freely.
    package let toolsCallOnly: Bool

    package init(perClient: Rate?, perProfile: Rate?, toolsCallOnly: Bool = false) {
        self.perClient = perClient
        self.perProfile = perProfile
        self.toolsCallOnly = toolsCallOnly
    }
}
