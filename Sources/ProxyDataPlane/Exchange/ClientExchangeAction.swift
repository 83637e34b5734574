import NIOCore

/// What `ClientConnectionHandler` does after telling `ClientConnectionStateMachine` about an event.
/// Every write, flush, timer and close on a client connection is one of these.
enum ClientExchangeAction {
    case none
    /// Write `100 Continue`: the client waits for it before it sends the body.
    case sendContinue
    /// Sign the request and send it upstream over an idle pooled connection or a new one.
    case forward(UpstreamRequest)
    /// The upstream refused the OAuth token this request was signed with: report it to the token's
    /// keeper and wait for a newer token (`ClientConnectionStateMachine.tokenRenewed`).
    case awaitFreshToken
    /// Write the relayed response head: at once for an event stream, otherwise held back so that
    /// it leaves in one write with the body's first bytes.
    case writeResponseHead(ResponseHead, framing: HeaderRewriting.ClientFraming, isEventStream: Bool, connectionClose: Bool)
    /// Write relayed body bytes; with `pauseUpstreamReads`, stop reading the upstream afterwards
    /// because the client is not keeping up.
    case writeBody(ByteBuffer, framing: HeaderRewriting.ClientFraming, pauseUpstreamReads: Bool)
    /// The upstream finished a read burst: push what was written to the client.
    case flush
    case pauseUpstreamReads
    case resumeUpstreamReads
    /// More pipelined bytes wait than one request head may have: stop reading the client.
    case pauseClientReads
    /// Start the local heartbeat stream: its head, the first comment and the heartbeat timer.
    /// With `learnedUpstreamRefusesGET`, remember for the profile that its upstream cannot stream.
    case startHeartbeat(framing: HeaderRewriting.ClientFraming, learnedUpstreamRefusesGET: Bool)
    /// One heartbeat comment, flushed.
    case sendHeartbeat(framing: HeaderRewriting.ClientFraming)
    /// Write the proxy's own complete response, then end the exchange.
    case answer(LocalAnswer, keepAlive: Bool, includingBody: Bool, then: ExchangeEnd)
    /// A response the proxy rewrote (a filtered `tools/list` result): the upstream's head with the
    /// new body's length, the body, a flush, then the end. Boxed (rare), so that every other
    /// action stays as small as it was.
    indirect case writeRewrittenResponse(ResponseHead, body: ByteBuffer, connectionClose: Bool, then: ExchangeEnd)
    /// The response is complete: the terminating chunk (for a chunked body), a flush, then the end.
    case finishResponse(framing: HeaderRewriting.ClientFraming, then: ExchangeEnd)
    /// Relay these last bytes, then finish the response as `finishResponse` does.
    case finishResponseWith(ByteBuffer, framing: HeaderRewriting.ClientFraming, then: ExchangeEnd)
    /// Cut the response: flush what was written, with no terminating chunk, so the client sees it
    /// incomplete; the end closes the connection.
    case cutResponse(then: ExchangeEnd)
    /// End the exchange with nothing more to write (the client is gone).
    case endExchange(ExchangeEnd)
    /// Close the connection now.
    case close
    /// Shut the write side after the flushed answer and discard input until the client closes
    /// (nginx's `lingering_close`); resume reading first if it was paused.
    case shutOutputAndLinger(resumeClientReads: Bool)
}

/// A request as it goes upstream: the client head (its field lines are copied), the target that
/// is signed, the whole body. `exchangeNumber` lets a late connect callback see that its exchange ended.
struct UpstreamRequest {
    let head: RequestHead
    let target: String
    let body: ByteBuffer?
    let exchangeNumber: Int
    /// The tool policy will read the response (`tools/list`): ask the upstream not to compress it.
    let responseIsFiltered: Bool
}

/// How an exchange ends. The shell always does the same housekeeping first: it stops the
/// heartbeat timer and lets go of an upstream connection still attached (closing it, since its
/// response can no longer be reused); then it logs and goes on as `next` says.
struct ExchangeEnd: Equatable {
    enum Next: Equatable {
        /// Parse the next (possibly already buffered) request, resuming reads if they were paused.
        case readNextRequest(resumeClientReads: Bool)
        /// Close: tell the machine, through `closeRequested`, whether client input is still unread.
        case closeConnection
        /// The connection is already closed.
        case nothing
    }

    enum LogEvent: String {
        case request
        case clientClosed = "client_closed"
        case streamClosedForShutdown = "stream_closed_for_shutdown"
    }

    /// The log line's event, or nil when there was no request to log (unparseable input).
    var logEvent: LogEvent?
    var next: Next
}
