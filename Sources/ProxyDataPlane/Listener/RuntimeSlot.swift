import Atomics

/// The current `ProfileRuntime` of one listener. A reload stores a new runtime here; each client
/// connection loads it when a request head arrives, so requests that start after a reload use the
/// new settings (secret, upstream, timeouts) while requests and streams already in flight finish
/// on the runtime they started with. One atomic load per request, no lock.
package final class RuntimeSlot: Sendable {
    private let current: ManagedAtomic<ProfileRuntime>

    package init(_ runtime: ProfileRuntime) {
        current = ManagedAtomic(runtime)
    }

    package var runtime: ProfileRuntime { current.load(ordering: .acquiring) }

    package func store(_ runtime: ProfileRuntime) {
        current.store(runtime, ordering: .releasing)
    }
}

extension ProfileRuntime: AtomicReference {}
