/// The one way a test waits for something another thread or process does: poll the condition
/// that matters until it holds, and give up after `seconds` (a bound for a loaded CI machine,
/// not a duration the test needs). A fixed sleep would be either too short under load or
/// wasted time otherwise.
///
/// Returns whether the condition came to hold.
@discardableResult
public func eventually(
    within seconds: Double = 5, polling interval: Duration = .milliseconds(10), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Deadline(seconds)
    while true {
        if try await condition() { return true }
        guard !deadline.hasPassed else { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Polls `probe` until it returns a value, for at most `seconds`; nil if it never did.
public func eventuallyValue<Value>(
    within seconds: Double = 5, polling interval: Duration = .milliseconds(10), _ probe: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = Deadline(seconds)
    while true {
        if let value = try await probe() { return value }
        guard !deadline.hasPassed else { return nil }
        try? await Task.sleep(for: interval)
    }
}

/// A bound `seconds` from now on the monotonic clock.
public struct Deadline: Sendable {
    private let end: ContinuousClock.Instant

    public init(_ seconds: Double) {
        end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    }

    public var hasPassed: Bool { ContinuousClock.now >= end }
}
