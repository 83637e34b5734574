/// Tells one listener's service to stop, once: at shutdown, or when a reload removed its profile.
final class StopSignal: Sendable {
    enum Reason: Sendable {
        case shutdown
        case removed
    }

    private let stream: AsyncStream<Reason>
    private let continuation: AsyncStream<Reason>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Reason.self, bufferingPolicy: .bufferingOldest(1))
    }

    func fire(_ reason: Reason) {
        continuation.yield(reason)
        continuation.finish()
    }

    /// Returns the reason; a cancelled waiter is treated as a shutdown.
    func wait() async -> Reason {
        for await reason in stream { return reason }
        return .shutdown
    }
}
