import NIOConcurrencyHelpers

/// The buckets of clients known by an open-ended key — an OAuth subject, a remote address — kept
/// in shards behind locks. A lock is taken when a connection (or an OAuth token, in its loop's
/// cache) first needs its client's bucket, never per request: holders keep the bucket and ask
/// again only once it is retired.
///
/// Memory stays bounded with any number of clients: when a shard has doubled since it was last
/// swept, its full buckets — clients idle for at least a refill — are dropped (and retired).
/// Dropping a full bucket loses nothing: a new one starts full.
package final class ClientBuckets: Sendable {
    package enum Key: Hashable, Sendable {
        /// `client_auth: oauth`: the token's subject.
        case subject(String)
        /// `client_auth: none`: the remote IP address (the port is not part of it).
        case address(String)
    }

    private struct Shard {
        var buckets: [Key: RateBucket] = [:]
        /// The count after the last sweep; the next comes when the shard has doubled.
        var sweptAt = 0
    }

    private static let shardCount = 16
    /// A shard smaller than this is never swept.
    static let sweepFloor = 64
    private let shards: [NIOLockedValueBox<Shard>]

    package init() {
        shards = (0..<Self.shardCount).map { _ in NIOLockedValueBox(Shard()) }
    }

    /// The key's bucket: `cached` while it is live, else the store's (made when missing). The key
    /// is made only then: formatting one (an address) costs more than taking a token.
    package func bucket(for key: @autoclosure () -> Key, cached: RateBucket?, now: UInt64) -> RateBucket {
        if let cached, !cached.isRetired { return cached }
        let key = key()
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        return shard.withLockedValue { shard in
            if let existing = shard.buckets[key] { return existing }
            if shard.buckets.count >= max(Self.sweepFloor, shard.sweptAt * 2) {
                shard.buckets = shard.buckets.filter { _, bucket in
                    guard bucket.isFull(at: now) else { return true }
                    bucket.retire()
                    return false
                }
                shard.sweptAt = shard.buckets.count
            }
            let made = RateBucket()
            shard.buckets[key] = made
            return made
        }
    }

    /// How many buckets are kept (tests, and the memory check).
    package var count: Int {
        shards.reduce(0) { total, shard in total + shard.withLockedValue { $0.buckets.count } }
    }
}
