import Atomics
import NIOConcurrencyHelpers

/// Where the control plane leaves the identity provider's current key set for the data plane.
/// The request path reads `generation` (one atomic load) to learn whether the tokens it verified
/// before are still vouched for by the set it verified them with; it takes the lock only on a
/// token it has not seen. A signature by an unknown `kid` asks the control plane for a refetch,
/// at most once per `refetchInterval`.
package final class KeySetSlot: Sendable {
    fileprivate struct Contents {
        var keys: KeySet = .empty
        /// Why the last fetch failed, while it did (the last good set stays in use).
        var problem: String?
        var lastRefetchRequest: Int64?
        /// Between a refetch asked for and its end (a new set, or a failure).
        var refetching = false
        /// Requests parked until that end.
        var waiters: [@Sendable () -> Void] = []
    }

    private let contents = NIOLockedValueBox(Contents())
    private let generationCounter = ManagedAtomic<UInt64>(0)
    private let refetch = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
    /// The bound: a `kid` nobody knows cannot make the proxy hammer the identity provider.
    package static let refetchInterval: Int64 = 30

    package init() {}

    package var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    package var keys: KeySet { contents.withLockedValue { $0.keys } }

    package var problem: String? { contents.withLockedValue { $0.problem } }

    /// A new set: every token is checked again against it.
    package func install(_ keys: KeySet) {
        let waiters = contents.withLockedValue { contents -> [@Sendable () -> Void] in
            contents.keys = keys
            contents.problem = nil
            return contents.fetchEnded()
        }
        // After the keys: a reader that sees the new generation is sure to see the new keys, so no
        // token checked against the old set is ever cached as vouched for by the new one.
        generationCounter.wrappingIncrement(ordering: .releasing)
        for waiter in waiters { waiter() }
    }

    /// A fetch failed: the set in use stays (an identity provider's outage does not log everyone out).
    package func fetchFailed(_ problem: String) {
        let waiters = contents.withLockedValue { contents -> [@Sendable () -> Void] in
            contents.problem = problem
            return contents.fetchEnded()
        }
        for waiter in waiters { waiter() }
    }

    /// Runs `action` once the refetch in progress has ended; false (and nothing runs) when none is.
    package func whenRefetched(_ action: @escaping @Sendable () -> Void) -> Bool {
        contents.withLockedValue { contents in
            guard contents.refetching else { return false }
            contents.waiters.append(action)
            return true
        }
    }

    /// Whether a refetch is in progress: a token with an unknown `kid` may wait for it.
    package var isRefetching: Bool { contents.withLockedValue { $0.refetching } }

    /// The control plane's handler for `requestRefetch`.
    package func onRefetchRequested(_ handler: @escaping @Sendable () -> Void) {
        refetch.withLockedValue { $0 = handler }
    }

    /// A token named a `kid` the set lacks. Returns whether a refetch was asked for (false: one
    /// was asked for less than `refetchInterval` seconds ago).
    @discardableResult
    package func requestRefetch(now: Int64) -> Bool {
        let handler = refetch.withLockedValue { $0 }
        let due = contents.withLockedValue { contents -> Bool in
            if let last = contents.lastRefetchRequest, now - last < Self.refetchInterval { return false }
            contents.lastRefetchRequest = now
            contents.refetching = handler != nil
            return true
        }
        if due, let handler { handler() }
        return due
    }
}

extension KeySetSlot.Contents {
    /// The refetch in progress (if any) is over: its waiters go on.
    mutating func fetchEnded() -> [@Sendable () -> Void] {
        refetching = false
        defer { waiters = [] }
        return waiters
    }
}
