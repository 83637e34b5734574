import NIOConcurrencyHelpers
import NIOCore

/// The access tokens one event loop has accepted (`client_auth: oauth`), so that a client's
/// second request costs a hash and a byte comparison instead of a signature check. Touched only
/// from its loop: no lock per request. Bounded (`capacity` tokens): when full, expired tokens go
/// first and, if none has expired, the whole cache (every token is then verified once more).
final class InboundTokenCache {
    /// One accepted token: what it was accepted as (with its bytes, compared in full on every
    /// hit, so a hash collision can never let another token in).
    struct Entry {
        let client: AcceptedClient
    }

    /// About 1-2 KB per token: a few MB per loop at most.
    static let capacity = 2048

    private var entries: [Int: Entry] = [:]

    var count: Int { entries.count }

    static func hash(_ token: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: token)
        return hasher.finalize()
    }

    func entry(for token: UnsafeRawBufferPointer, hash: Int) -> Entry? {
        guard let entry = entries[hash], entry.client.holds(token) else { return nil }
        return entry
    }

    func insert(_ entry: Entry, hash: Int, now: Int64) {
        if entries.count >= Self.capacity {
            entries = entries.filter { $0.value.client.expiresAt > now }
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        }
        entries[hash] = entry
    }

    func remove(hash: Int) {
        entries[hash] = nil
    }
}

/// A runtime's token caches, one per event loop, made on a loop's first use. The lock is taken
/// when a connection first needs its loop's cache, never per request.
final class InboundTokenCaches: Sendable {
    private struct Boxed: @unchecked Sendable {
        /// Only its own loop reads or writes it (`cache(for:)` hands it to that loop's handlers).
        let cache: InboundTokenCache
    }

    private let caches = NIOLockedValueBox<[ObjectIdentifier: Boxed]>([:])

    func cache(for loop: any EventLoop) -> InboundTokenCache {
        caches.withLockedValue { caches in
            if let existing = caches[ObjectIdentifier(loop)] { return existing.cache }
            let made = InboundTokenCache()
            caches[ObjectIdentifier(loop)] = Boxed(cache: made)
            return made
        }
    }
}
