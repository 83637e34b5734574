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
    try await eventuallyValue(within: seconds, polling: interval) { try await condition() ? true : nil } ?? false
}

/// Polls `probe` until it returns a value, for at most `seconds`; nil if it never did.
public func eventuallyValue<Value>(
    within seconds: Double = 5, polling interval: Duration = .milliseconds(10), _ probe: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { return nil }
        try? await Task.sleep(for: interval)
    }
}
