import NIOCore
import ProxyConfig

/// A profile's `rate_limit:` as one runtime applies it: the configured rates over the buckets of
/// its `RateLimitState`. Shared read-only by every connection of the runtime; the buckets are
/// atomic words, so deciding takes no lock.
final class RateLimiter: Sendable {
    /// One limit: its rate as the buckets use it.
    struct Limit: Sendable {
        let rate: RateLimitSettings.Rate
        let interval: UInt64
        let burst: UInt64

        init(_ rate: RateLimitSettings.Rate) {
            self.rate = rate
            interval = UInt64(rate.nanosecondsPerRequest)
            burst = UInt64(rate.burst)
        }
    }

    let perClient: Limit?
    let perProfile: Limit?
    let toolsCallOnly: Bool
    let state: RateLimitState
    /// `client_auth: bearer`: each token's bucket, index for index with the authenticator's names.
    let tokenBuckets: [RateBucket]

    init(settings: RateLimitSettings, state: RateLimitState, tokenNames: [String]) {
        perClient = settings.perClient.map(Limit.init)
        perProfile = settings.perProfile.map(Limit.init)
        toolsCallOnly = settings.toolsCallOnly
        self.state = state
        tokenBuckets = settings.perClient == nil ? [] : state.tokenBuckets(tokenNames)
    }

    /// The bucket of `client_auth: bearer` client `index` (in the authenticator's names); nil
    /// when clients are not limited.
    func tokenBucket(_ index: Int) -> RateBucket? {
        index < tokenBuckets.count ? tokenBuckets[index] : nil
    }

    /// The bucket of the client known by `key` (a holder's `cached` one while it lives); nil when
    /// clients are not limited.
    func clientBucket(_ key: @autoclosure () -> ClientBuckets.Key, cached: RateBucket?, now: NIODeadline) -> RateBucket? {
        guard perClient != nil else { return nil }
        return state.clients.bucket(for: key(), cached: cached, now: now.uptimeNanoseconds)
    }

    /// Whether a request counts: every forwarded one, or under `tools_call_only` a `tools/call`
    /// (and a batch, whose messages may be calls: its `method` is nil).
    func counts(method: RequestMethod, rpcMethod: String?) -> Bool {
        guard toolsCallOnly else { return true }
        return method == .post && (rpcMethod == nil || rpcMethod == "tools/call")
    }

    /// Takes a token from the client's bucket, then the profile's; nil when both had one, else
    /// the limit that refused (the client's token is given back when the profile's refuses).
    func refusal(client: RateBucket?, now: NIODeadline) -> RateLimitRefusal? {
        let now = now.uptimeNanoseconds
        if let perClient, let client, let wait = client.take(now: now, interval: perClient.interval, burst: perClient.burst) {
            return RateLimitRefusal(scope: .client, rate: perClient.rate, waitNanoseconds: wait)
        }
        if let perProfile, let wait = state.profile.take(now: now, interval: perProfile.interval, burst: perProfile.burst) {
            if let perClient, let client { client.giveBack(interval: perClient.interval) }
            return RateLimitRefusal(scope: .profile, rate: perProfile.rate, waitNanoseconds: wait)
        }
        return nil
    }
}

/// Which limit refused a request, and for how long: what the 429 says.
struct RateLimitRefusal: Equatable {
    enum Scope: String { case client = "per_client", profile = "per_profile" }

    let scope: Scope
    let rate: RateLimitSettings.Rate
    let waitNanoseconds: UInt64

    /// `Retry-After` in whole seconds, rounded up: a client that waits that long gets a token.
    var retryAfterSeconds: UInt64 { max(1, (waitNanoseconds + 999_999_999) / 1_000_000_000) }
}
