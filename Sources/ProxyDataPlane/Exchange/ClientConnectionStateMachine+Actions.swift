import ProxyAudit
import NIOCore
import ProxyConfig

extension ClientConnectionStateMachine {
    struct Configuration: Sendable {
        /// `max_request_body`, in bytes.
        var maxRequestBody: Int
        var limits: ConnectionLimits
        /// `request_timeout`, counted from forwarding to the response's end (event streams exempt).
        var requestTimeout: TimeAmount
        /// `upstream_streaming: auto`: a 405 to a GET turns into the local heartbeat stream.
        var learnsFromRefusedGET: Bool
        /// Buffered unparsed input beyond which the client's reads pause while a response is pending.
        var maxBufferedInput = RequestParser.maxHeadBytes
        /// The profile's `tools:` policy; nil parses nothing beyond the JSON-RPC check.
        var toolPolicy: ToolPolicy?
        /// Named in the JSON-RPC errors the tool policy writes into an event stream.
        var profileName = ""
        /// `auth_scheme: oauth`: a request the upstream refuses with 401 goes once more with a fresh token.
        var resendsOnRefusedToken = false
        /// `rate_limit:`; nil costs the request one branch.
        var rateLimiter: RateLimiter?
        /// `audit:`; nil costs the request one branch.
        var audit: AuditTrail?
    }

    /// What the connection knows while a request is in progress.
    struct Connection {
        /// Set by shutdown, a request without keep-alive, an answer that closes, or a response
        /// that ends by closing: the connection closes once the current response is done.
        var closeAfterResponse: Bool
        var clientReadsPaused = false
        /// When the client socket stopped taking writes; nil while it is writable.
        var unwritableSince: NIODeadline?
    }

    /// What happens to bytes read from the client.
    enum InputDisposition: Equatable {
        case parse
        case discard
        case close
    }

    /// A request's action as the connection's: keep-alive and backpressure facts added.
    static func connectionAction(for action: RequestAction, on connection: inout Connection) -> ClientExchangeAction {
        switch action {
        case .none: return .none
        case .sendContinue: return .sendContinue
        case .forward(let request): return .forward(request)
        case .awaitFreshToken: return .awaitFreshToken
        case .writeResponseHead(let head, let framing, let isEventStream):
            // A body delimited by closing means closing after it.
            if framing == .untilClose { connection.closeAfterResponse = true }
            return .writeResponseHead(head, framing: framing, isEventStream: isEventStream, connectionClose: connection.closeAfterResponse)
        case .writeBody(let buffer, let framing):
            return .writeBody(buffer, framing: framing, pauseUpstreamReads: connection.unwritableSince != nil)
        case .flush: return .flush
        case .pauseUpstreamReads: return .pauseUpstreamReads
        case .resumeUpstreamReads: return .resumeUpstreamReads
        case .startHeartbeat(let framing, let learned):
            if framing == .untilClose { connection.closeAfterResponse = true }
            return .startHeartbeat(framing: framing, learnedUpstreamRefusesGET: learned)
        case .sendHeartbeat(let framing): return .sendHeartbeat(framing: framing)
        case .end: preconditionFailure("an end is mapped by connectionAction(ending:)")
        }
    }

    /// The request's last write, followed by `then`.
    static func connectionAction(ending end: RequestEnd, on connection: Connection, then: ExchangeEnd) -> ClientExchangeAction {
        switch end {
        case .answer(let answer, let includingBody):
            return .answer(answer, keepAlive: !connection.closeAfterResponse, includingBody: includingBody, then: then)
        case .rewritten(let head, let body):
            return .writeRewrittenResponse(head, body: body, connectionClose: connection.closeAfterResponse, then: then)
        case .finish(let framing): return .finishResponse(framing: framing, then: then)
        case .finishWith(let last, let framing): return .finishResponseWith(last, framing: framing, then: then)
        case .cut: return .cutResponse(then: then)
        }
    }
}
