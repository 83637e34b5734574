import Atomics
import Prometheus

/// A fixed number of counters of one family, each created on first use and then found with one
/// atomic load: counting takes no lock and allocates nothing. A label set that never occurs is
/// never registered, so the exposition shows only series that happened.
///
/// Two threads missing the same slot at once both ask the registry, which returns the same
/// counter for the same labels; the first store wins.
final class CounterSlots: Sendable {
    /// Only ever read and written through `UnsafeAtomicLazyReference`'s atomic operations, and
    /// freed in `deinit` when no other reference exists: safe to share across threads.
    nonisolated(unsafe) private let slots: UnsafeMutablePointer<UnsafeAtomicLazyReference<Counter>.Storage>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: UnsafeAtomicLazyReference<Counter>.Storage(), count: count)
    }

    deinit {
        for index in 0..<count { _ = slots[index].dispose() }
        slots.deallocate()
    }

    @inline(__always)
    func counter(at index: Int, make: () -> Counter) -> Counter {
        let slot = UnsafeAtomicLazyReference(at: slots + index)
        if let counter = slot.load() { return counter }
        return slot.storeIfNilThenLoad(make())
    }
}
