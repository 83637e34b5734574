import MCPMessages
import NIOCore
import ProxyConfig

/// Every decision about one client connection: when it waits for a request and for how long,
/// keep-alive and `Connection: close`, when reading pauses on either side, the stalled-client
/// bound, lingering close — around a `RequestStateMachine` for the request in progress.
///
/// A value type with no I/O, no clock and no NIO channel (the style of async-http-client's
/// `HTTP1ConnectionStateMachine`, which nests its request machine the same way):
/// `ClientConnectionHandler` feeds it parser, upstream, channel and timer events with the time
/// they happened and executes the `ClientExchangeAction` each returns. Requests are handled one at
/// a time; while a response is pending, pipelined input waits in the handler's parser
/// (`wantsRequestParts`).
///
/// Events that cannot happen in a state are invariant failures, with two deliberate exceptions:
/// upstream events for an exchange that already let go of its upstream are stale and ignored
/// (the upstream connection is another channel), and timer ticks are ignored where no limit applies.
struct ClientConnectionStateMachine {
    private enum State {
        /// No request in progress. `since` bounds the wait for the next head; it is nil until the
        /// first limits tick after a response, so that finishing a response reads no clock.
        case idle(since: NIODeadline?, unwritableSince: NIODeadline?)
        case inRequest(RequestStateMachine, Connection)
        /// The last exchange has ended and the connection is to close (`closeRequested`).
        case closing(clientReadsPaused: Bool)
        /// Output shut after an early answer; client input is discarded until the client closes.
        case lingering(since: NIODeadline, discarded: Int)
        case closed
        /// Only while a method mutates the request machine, so that it is uniquely referenced
        /// (async-http-client's `avoidingStateMachineCoW`).
        case modifying
    }

    /// The length of the heartbeat stream's comment, counted in `bytes_out`.
    static let heartbeatComment = ": heartbeat\n\n"

    private var configuration: Configuration
    private var state: State
    /// The request in progress, or the last one (kept for its log line until the next head).
    private(set) var exchange = RequestExchange()

    init(configuration: Configuration, now: NIODeadline) {
        self.configuration = configuration
        self.state = .idle(since: now, unwritableSince: nil)
    }

    /// New settings after a reload, taken between requests only: an exchange in progress keeps
    /// the limits it started with.
    mutating func reconfigure(_ configuration: Configuration) {
        guard case .idle = state else { preconditionFailure("reconfigured while \(state)") }
        self.configuration = configuration
    }

    /// Whether the handler may hand over the next parsed request part.
    var wantsRequestParts: Bool {
        switch state {
        case .idle: return true
        case .inRequest(let request, _): return request.wantsRequestParts
        case .closing, .lingering, .closed, .modifying: return false
        }
    }

    /// The ids the tool policy's rewrite of the response still waits for; nil without one.
    var awaitedToolListIDs: [JSONNode]? {
        guard case .inRequest(let request, _) = state else { return nil }
        return request.awaitedToolListIDs
    }

    // MARK: Client input

    mutating func bytesReceived(_ count: Int) -> InputDisposition {
        switch state {
        case .lingering(let since, let discarded):
            guard discarded + count <= configuration.limits.lingeringByteLimit else {
                state = .closed
                return .close
            }
            state = .lingering(since: since, discarded: discarded + count)
            return .discard
        case .closed:
            return .discard
        case .idle, .inRequest, .closing, .modifying:
            return .parse
        }
    }

    /// `client`: the client `client_auth: oauth` accepted; `tokenProblem`: why it refused one.
    mutating func requestHead(_ head: RequestHead, verdict: RequestAdmission.Verdict, now: NIODeadline,
                              client: AcceptedClient? = nil, tokenProblem: String? = nil, rateBucket: RateBucket? = nil,
                              trace: ExchangeTrace? = nil) -> ClientExchangeAction {
        guard case .idle(_, let unwritableSince) = state else { preconditionFailure("request head while \(state)") }
        exchange.begin(head, at: now)
        exchange.client = client
        exchange.rateBucket = rateBucket
        exchange.trace = trace
        exchange.tokenProblem = tokenProblem
        state = .inRequest(RequestStateMachine(head: head, verdict: verdict),
                           Connection(closeAfterResponse: !head.isKeepAlive, unwritableSince: unwritableSince))
        return withRequest { request, configuration, exchange in request.started(head, configuration, &exchange) }
    }

    mutating func requestBody(_ buffer: ByteBuffer) -> ClientExchangeAction {
        guard case .inRequest = state else { preconditionFailure("request body while \(state)") }
        return withRequest { request, configuration, exchange in request.requestBody(buffer, configuration, &exchange) }
    }

    /// `servesHeartbeat`: the profile answers GET with the local heartbeat stream (a fact the
    /// profile may learn at run time, so it is passed in).
    mutating func requestEnd(servesHeartbeat: Bool, now: NIODeadline) -> ClientExchangeAction {
        guard case .inRequest = state else { preconditionFailure("request end while \(state)") }
        return withRequest { request, configuration, exchange in
            request.requestEnd(servesHeartbeat: servesHeartbeat, now: now, configuration, &exchange)
        }
    }

    /// The client's bytes cannot be parsed: 431 or 400, and the connection closes, since where a
    /// next request would start is unknown.
    mutating func requestUnreadable(_ failure: RequestParser.Failure) -> ClientExchangeAction {
        let answer: LocalAnswer
        switch failure {
        case .headTooLarge: answer = .headTooLarge
        case .malformed(let reason): answer = .malformedHTTP(reason)
        }
        switch state {
        case .idle:
            state = .closing(clientReadsPaused: false)
            return .answer(answer, keepAlive: false, includingBody: true, then: ExchangeEnd(logEvent: nil, next: .closeConnection))
        case .inRequest:
            return withRequest { request, _, exchange in request.requestUnreadable(answer, &exchange) }
        case .closing, .lingering, .closed, .modifying:
            preconditionFailure("unreadable request while \(state)")
        }
    }

    /// After a parsing pass: `bufferedBytes` of input wait unparsed.
    mutating func inputBuffered(_ bufferedBytes: Int) -> ClientExchangeAction {
        guard bufferedBytes > configuration.maxBufferedInput, case .inRequest(let request, var connection) = state,
              !connection.clientReadsPaused else { return .none }
        connection.clientReadsPaused = true
        state = .inRequest(request, connection)
        return .pauseClientReads
    }

    // MARK: Upstream

    /// Whether exchange `number` still waits for its upstream (a connect that finishes after its
    /// exchange timed out or the client left must not send anything).
    func awaitsUpstream(forExchange number: Int) -> Bool {
        guard case .inRequest(let request, _) = state else { return false }
        return request.isAwaitingUpstream && exchange.number == number
    }

    mutating func upstreamResponseHead(_ head: ResponseHead, now: NIODeadline) -> ClientExchangeAction {
        guard case .inRequest = state else { return .none }
        return withRequest { request, configuration, exchange in request.upstreamResponseHead(head, now: now, configuration, &exchange) }
    }

    mutating func upstreamResponseBody(_ buffer: ByteBuffer) -> ClientExchangeAction {
        guard case .inRequest = state else { return .none }
        return withRequest { request, _, exchange in request.upstreamResponseBody(buffer, &exchange) }
    }

    mutating func upstreamReadComplete() -> ClientExchangeAction {
        guard case .inRequest(let request, _) = state, request.isRelaying else { return .none }
        return .flush
    }

    mutating func upstreamResponseEnd() -> ClientExchangeAction {
        guard case .inRequest = state else { return .none }
        return withRequest { request, _, exchange in request.upstreamResponseEnd(&exchange) }
    }

    mutating func upstreamFailed(_ failure: UpstreamFailure) -> ClientExchangeAction {
        guard case .inRequest = state else { return .none }
        return withRequest { request, _, exchange in request.upstreamFailed(failure, &exchange) }
    }

    /// The OAuth token is newer than the one exchange `number` was refused with.
    mutating func tokenRenewed(forExchange number: Int) -> ClientExchangeAction {
        guard case .inRequest = state, exchange.number == number else { return .none }
        return withRequest { request, _, _ in request.tokenRenewed() }
    }

    // MARK: Connection and time

    /// Backpressure: while the client cannot take more, the upstream is not read.
    mutating func clientWritabilityChanged(isWritable: Bool, now: NIODeadline) -> ClientExchangeAction {
        switch state {
        case .idle(let since, let unwritableSince):
            state = .idle(since: since, unwritableSince: isWritable ? nil : (unwritableSince ?? now))
            return .none
        case .inRequest(let request, var connection):
            connection.unwritableSince = isWritable ? nil : (connection.unwritableSince ?? now)
            state = .inRequest(request, connection)
            return withRequest { request, _, _ in request.clientWritabilityChanged(isWritable: isWritable) }
        case .closing, .lingering, .closed, .modifying:
            return .none
        }
    }

    /// Shutdown: finish the current response, then close; event streams end at once, cleanly.
    mutating func quiesce() -> ClientExchangeAction {
        switch state {
        case .idle:
            state = .closed
            return .close
        case .inRequest(let request, var connection):
            connection.closeAfterResponse = true
            state = .inRequest(request, connection)
            return withRequest { request, _, _ in request.quiesce() }
        case .closing, .lingering, .closed, .modifying:
            return .none
        }
    }

    /// The client connection closed (or its handler was removed); safe to report twice.
    mutating func clientClosed() -> ClientExchangeAction {
        let wasInRequest: Bool
        if case .inRequest = state { wasInRequest = true } else { wasInRequest = false }
        state = .closed
        guard wasInRequest else { return .none }
        if exchange.status == 0 { exchange.status = 499 }
        return .endExchange(ExchangeEnd(logEvent: .clientClosed, next: .nothing))
    }

    /// The answer to `ExchangeEnd.Next.closeConnection`: with client input still unread, closing
    /// would make the kernel reset the connection and destroy the answer in the client's receive
    /// buffer, so the proxy lingers instead (see `ConnectionLimits.lingeringTimeout`).
    mutating func closeRequested(inputPending: Bool, now: NIODeadline) -> ClientExchangeAction {
        guard case .closing(let readsPaused) = state else { preconditionFailure("close requested while \(state)") }
        guard inputPending else {
            state = .closed
            return .close
        }
        state = .lingering(since: now, discarded: 0)
        return .shutOutputAndLinger(resumeClientReads: readsPaused)
    }

    mutating func heartbeatDue() -> ClientExchangeAction {
        guard case .inRequest = state else { return .none }
        return withRequest { request, _, exchange in request.heartbeatDue(&exchange) }
    }

    /// The periodic limits check (`ConnectionLimits.checkInterval`): one per connection, so no
    /// timer is armed or cancelled per request.
    mutating func limitsCheckDue(now: NIODeadline) -> ClientExchangeAction {
        let limits = configuration.limits
        switch state {
        case .idle(let since, let unwritableSince):
            guard let since else {
                state = .idle(since: now, unwritableSince: unwritableSince)
                return .none
            }
            guard now - since > limits.requestHeadTimeout else { return .none }
            state = .closed
            return .close
        case .lingering(let since, _):
            guard now - since > limits.lingeringTimeout else { return .none }
            state = .closed
            return .close
        case .inRequest(_, let connection):
            if let unwritableSince = connection.unwritableSince, now - unwritableSince > limits.stalledClientTimeout {
                // The close reports `clientClosed`, which ends and logs the exchange.
                exchange.failure = .clientStalled
                return .close
            }
            return withRequest { request, configuration, exchange in request.limitsCheckDue(now: now, configuration, &exchange) }
        case .closing, .closed, .modifying:
            return .none
        }
    }

    // MARK: The request machine inside

    /// Runs `body` on the request machine, uniquely referenced, and turns its action into the
    /// connection's: the writes get the connection's keep-alive and backpressure facts, and an
    /// end moves the connection to idle or closing.
    @inline(__always)
    private mutating func withRequest(
        _ body: (inout RequestStateMachine, Configuration, inout RequestExchange) -> RequestAction
    ) -> ClientExchangeAction {
        guard case .inRequest(var request, var connection) = moveOut(&state, leaving: .modifying) else {
            preconditionFailure("no request in progress")
        }
        let action = body(&request, configuration, &exchange)
        guard case .end(let end, let log, let closes) = action else {
            let mapped = Self.connectionAction(for: action, on: &connection)
            state = .inRequest(request, connection)
            return mapped
        }
        if closes { connection.closeAfterResponse = true }
        return Self.connectionAction(ending: end, on: connection, then: ended(connection, logging: log))
    }

    /// The request is over: the connection waits for the next one, or closes.
    private mutating func ended(_ connection: Connection, logging event: ExchangeEnd.LogEvent) -> ExchangeEnd {
        if connection.closeAfterResponse {
            state = .closing(clientReadsPaused: connection.clientReadsPaused)
            return ExchangeEnd(logEvent: event, next: .closeConnection)
        }
        state = .idle(since: nil, unwritableSince: connection.unwritableSince)
        return ExchangeEnd(logEvent: event, next: .readNextRequest(resumeClientReads: connection.clientReadsPaused))
    }
}
