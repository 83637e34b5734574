import NIOCore

/// Bounds on what one client connection may hold, so that slow or stalled clients cannot keep
/// resources forever. Enforced by one coarse periodic check per connection: no timer is armed or
/// cancelled per request.
public struct ConnectionLimits: Sendable {
    /// Longest a connection may go without a complete request head: the keep-alive idle time and
    /// the bound on a head sent one byte at a time, in one.
    public var requestHeadTimeout: TimeAmount
    /// Longest a request body may take to arrive in full.
    public var requestBodyTimeout: TimeAmount
    /// Longest a client may leave its socket unwritable (not reading) before the exchange is cut.
    public var stalledClientTimeout: TimeAmount
    /// How often each connection checks the bounds above.
    public var checkInterval: TimeAmount

    public init(
        requestHeadTimeout: TimeAmount = .seconds(30), requestBodyTimeout: TimeAmount = .seconds(60),
        stalledClientTimeout: TimeAmount = .seconds(60), checkInterval: TimeAmount = .seconds(2)
    ) {
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.stalledClientTimeout = stalledClientTimeout
        self.checkInterval = checkInterval
    }
}
