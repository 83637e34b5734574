import NIOConcurrencyHelpers

/// A profile's buckets, kept across reloads by the supervisor (one per profile name): a reload
/// that changes the limits applies them to the buckets as they are, so clients keep what they
/// have used instead of all starting full. The buckets store only when each would be full again,
/// which means the same under any rate.
package final class RateLimitState: Sendable {
    let profile = RateBucket()
    let clients = ClientBuckets()
    /// `client_auth: bearer` clients by token name, so a reload that adds, removes or reorders
    /// tokens keeps each client's bucket.
    private let tokens = NIOLockedValueBox<[String: RateBucket]>([:])

    package init() {}

    /// The buckets of `names`, index for index (made when missing). At runtime build only.
    func tokenBuckets(_ names: [String]) -> [RateBucket] {
        tokens.withLockedValue { tokens in
            names.map { name in
                if let existing = tokens[name] { return existing }
                let made = RateBucket()
                tokens[name] = made
                return made
            }
        }
    }
}
