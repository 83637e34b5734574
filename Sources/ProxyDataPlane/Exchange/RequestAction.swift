import NIOCore

/// What `RequestStateMachine` asks for; `ClientConnectionStateMachine` adds what only the
/// connection knows (keep-alive, backpressure, what follows the end) and hands the result to the
/// shell as a `ClientExchangeAction`.
enum RequestAction {
    case none
    case sendContinue
    case forward(UpstreamRequest)
    /// The upstream refused the OAuth token: tell its keeper, and report back (`tokenRenewed`)
    /// once the token is newer than the one the request was sent with.
    case awaitFreshToken
    case writeResponseHead(ResponseHead, framing: HeaderRewriting.ClientFraming, isEventStream: Bool)
    case writeBody(ByteBuffer, framing: HeaderRewriting.ClientFraming)
    case flush
    case pauseUpstreamReads
    case resumeUpstreamReads
    case startHeartbeat(framing: HeaderRewriting.ClientFraming, learnedUpstreamRefusesGET: Bool)
    case sendHeartbeat(framing: HeaderRewriting.ClientFraming)
    /// The request is over. `closes`: the way it ended leaves the connection unusable (an answer
    /// that closes, a response cut short or ended by an upstream failure).
    case end(RequestEnd, log: ExchangeEnd.LogEvent, closes: Bool)
}

/// The last thing written for a request.
enum RequestEnd {
    case answer(LocalAnswer, includingBody: Bool)
    /// The rewritten JSON response (boxed: rare and large).
    indirect case rewritten(ResponseHead, body: ByteBuffer)
    case finish(framing: HeaderRewriting.ClientFraming)
    case finishWith(ByteBuffer, framing: HeaderRewriting.ClientFraming)
    case cut
}
