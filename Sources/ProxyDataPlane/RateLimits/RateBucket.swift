import Atomics

/// One token bucket as a single atomic word, so that connections on every event loop take from
/// it without a lock. It keeps the bucket's "theoretical arrival time" (the generic cell rate
/// algorithm, ITU-T I.371): the moment the bucket would be full again, in uptime nanoseconds. A
/// request at `now` moves that moment one interval later, unless it would then lie more than the
/// burst's worth of intervals ahead of `now` — then the bucket is empty and the request waits
/// for the difference. A stored moment in the past is a full bucket, the same as a new one.
package final class RateBucket: Sendable {
    private let fullAt: ManagedAtomic<UInt64>
    /// Set when the bucket leaves its store (idle and full); a holder then looks it up afresh,
    /// so one client never has two live buckets for long.
    private let retired = ManagedAtomic(false)

    package init(fullAt: UInt64 = 0) {
        self.fullAt = ManagedAtomic(fullAt)
    }

    /// Takes one token; nil when taken, else the nanoseconds until one is free.
    /// - Parameters:
    ///   - interval: nanoseconds one token takes to come back.
    ///   - burst: how many tokens the full bucket holds.
    @inline(__always)
    package func take(now: UInt64, interval: UInt64, burst: UInt64) -> UInt64? {
        let tolerance = interval &* burst
        var stored = fullAt.load(ordering: .relaxed)
        while true {
            let next = max(stored, now) &+ interval
            if next &- now > tolerance { return next &- now &- tolerance }
            let (exchanged, original) = fullAt.weakCompareExchange(expected: stored, desired: next, ordering: .relaxed)
            if exchanged { return nil }
            stored = original
        }
    }

    /// Gives back a token taken by `take` (the request was refused by another limit after all).
    package func giveBack(interval: UInt64) {
        fullAt.wrappingDecrement(by: interval, ordering: .relaxed)
    }

    /// Whether the bucket is full at `now`: nothing would change were it dropped and made anew.
    package func isFull(at now: UInt64) -> Bool {
        fullAt.load(ordering: .relaxed) <= now
    }

    package var isRetired: Bool { retired.load(ordering: .relaxed) }

    func retire() {
        retired.store(true, ordering: .relaxed)
    }
}
