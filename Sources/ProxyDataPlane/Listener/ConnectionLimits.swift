import NIOCore

/// Bounds on what one client connection may hold, so that slow or stalled clients cannot keep
/// resources forever. Enforced by one coarse periodic check per connection: no timer is armed or
/// cancelled per request.
package struct ConnectionLimits: Sendable {
    /// Longest a connection may go without a complete request head: the keep-alive idle time and
    /// the bound on a head sent one byte at a time, in one.
    package var requestHeadTimeout: TimeAmount
    /// Longest a request body may take to arrive in full.
    package var requestBodyTimeout: TimeAmount
    /// Longest a client may leave its socket unwritable (not reading) before the exchange is cut.
    package var stalledClientTimeout: TimeAmount
    /// How often each connection checks the bounds above.
    package var checkInterval: TimeAmount
    /// After an answer given before the request's end (413, 431, 400, 408), how long the proxy
    /// keeps reading and discarding what the client still sends before it closes (nginx's
    /// `lingering_close`). Closing with unread bytes makes the kernel reset the connection, and a
    /// reset destroys the answer in the client's receive buffer. 5 s lets a client on any sane
    /// link finish its write and read the answer; a client still sending after that is cut.
    package var lingeringTimeout: TimeAmount
    /// How many bytes the proxy discards while lingering before it closes anyway. Twice the default
    /// `max_request_body`: a body somewhat over the limit, sent whole before reading the answer as
    /// many HTTP clients do, is drained, while a client cannot make the proxy read without end.
    package var lingeringByteLimit: Int

    package init(
        requestHeadTimeout: TimeAmount = .seconds(30), requestBodyTimeout: TimeAmount = .seconds(60),
        stalledClientTimeout: TimeAmount = .seconds(60), checkInterval: TimeAmount = .seconds(2),
        lingeringTimeout: TimeAmount = .seconds(5), lingeringByteLimit: Int = 8 << 20
    ) {
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.stalledClientTimeout = stalledClientTimeout
        self.checkInterval = checkInterval
        self.lingeringTimeout = lingeringTimeout
        self.lingeringByteLimit = lingeringByteLimit
    }
}
