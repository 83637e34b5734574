/// The life of one upstream connection, as `UpstreamConnectionHandler` follows it: connecting,
/// idle (pooled or about to be used), in an exchange, closed. Ending an exchange is the only way
/// back to the pool, and it can happen once per exchange, whichever of the response's end, a
/// failure, an abandon or the close comes first.
struct UpstreamConnectionLife: Equatable {
    enum State: Equatable {
        /// The handler is added; `channelActive` has not fired yet. NIO succeeds the connect
        /// promise before it fires `channelActive`, so the pool may start an exchange here.
        case connecting
        /// Active, with no exchange: in the pool, or just taken from it.
        case idle
        /// A request was sent; its response has not ended.
        case exchanging
        /// Inactive, or closing after an exchange that left it unusable.
        case closed
    }

    private(set) var state: State

    init(isActive: Bool) {
        state = isActive ? .idle : .connecting
    }

    mutating func activated() {
        if state == .connecting { state = .idle }
    }

    /// Starts an exchange; false when the connection cannot take one (in an exchange already, or
    /// closed meanwhile).
    mutating func startExchange() -> Bool {
        switch state {
        case .connecting, .idle:
            state = .exchanging
            return true
        case .exchanging, .closed:
            return false
        }
    }

    /// Ends the exchange in progress. True exactly once per exchange: the caller then gives the
    /// connection back to its pool (which closes it when it is not `reusable`).
    mutating func endExchange(reusable: Bool) -> Bool {
        guard state == .exchanging else { return false }
        state = reusable ? .idle : .closed
        return true
    }

    /// The channel went inactive; returns the state it was in.
    mutating func closed() -> State {
        defer { state = .closed }
        return state
    }
}
