import MCPMessages
import ProxyConfig
import NIOCore

/// Every decision about one client connection's exchanges: when a request may be forwarded, when
/// the proxy answers itself, how a response is framed and ended, when the connection is kept,
/// lingered on or closed, when reading pauses on either side, and every time limit.
///
/// A value type with no I/O, no clock and no NIO channel (the style of async-http-client's
/// `HTTP1ConnectionStateMachine`): `ClientConnectionHandler` feeds it parser, upstream, channel
/// and timer events with the time they happened and executes the `ClientExchangeAction` each
/// returns. Requests are handled one at a time; while a response is pending, pipelined input
/// waits in the handler's parser (`wantsRequestParts`).
///
/// Events that cannot happen in a state are invariant failures, with two deliberate exceptions:
/// upstream events for an exchange that already let go of its upstream are stale and ignored
/// (the upstream connection is another channel), and timer ticks are ignored where no limit applies.
struct ClientExchangeStateMachine {
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
    }

    private enum State {
        /// No request in progress. `since` bounds the wait for the next head; it is nil until the
        /// first limits tick after a response, so that finishing a response reads no clock.
        case idle(since: NIODeadline?)
        /// Reading the body of a request that will be forwarded.
        case collecting
        /// Refused at the head; the body is read and dropped, then the answer goes out.
        case rejecting(LocalAnswer)
        /// Forwarded; no response head yet.
        case awaitingUpstream(forwardedAt: NIODeadline)
        /// Relaying the upstream's response (head written or held back).
        case relaying(forwardedAt: NIODeadline)
        /// Collecting a JSON response to a `tools/list` request whole, to filter it (the tool
        /// policy); nothing is written until it has all arrived. Its head waits in the exchange's
        /// `ToolListResponse`, so that the state stays as small as the others.
        case collectingToolList(forwardedAt: NIODeadline)
        /// The local heartbeat stream. `drainingUpstream` while the body of the 405 that started
        /// it is still arriving (and being dropped).
        case heartbeat(drainingUpstream: Bool)
        /// The last exchange has ended and the connection is to close (`closeRequested`).
        case closing
        /// Output shut after an early answer; client input is discarded until the client closes.
        case lingering(since: NIODeadline, discarded: Int)
        case closed
    }

    /// What happens to bytes read from the client.
    enum InputDisposition: Equatable {
        case parse
        case discard
        case close
    }

    /// The length of the heartbeat stream's comment, counted in `bytes_out`.
    static let heartbeatComment = ": heartbeat\n\n"

    private var configuration: Configuration
    private var state: State
    /// The request in progress, or the last one (kept for its log line until the next head).
    private(set) var exchange = RequestExchange()
    /// Set by shutdown, a request without keep-alive, an answer that closes, or a response that
    /// ends by closing: the connection closes once the current response is done.
    private var closeAfterResponse = false
    /// When the client socket stopped taking writes; nil while it is writable.
    private var unwritableSince: NIODeadline?
    private var clientReadsPaused = false

    init(configuration: Configuration, now: NIODeadline) {
        self.configuration = configuration
        self.state = .idle(since: now)
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
        case .idle, .collecting, .rejecting: return true
        case .awaitingUpstream, .relaying, .collectingToolList, .heartbeat, .closing, .lingering, .closed: return false
        }
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
        case .idle, .collecting, .rejecting, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat, .closing:
            return .parse
        }
    }

    mutating func requestHead(_ head: RequestHead, verdict: RequestAdmission.Verdict, now: NIODeadline) -> ClientExchangeAction {
        guard case .idle = state else { preconditionFailure("request head while \(state)") }
        exchange.begin(head, at: now)
        if !head.isKeepAlive { closeAfterResponse = true }
        switch verdict {
        case .refuse(let answer):
            if answer.closesConnection { return self.answer(answer) }
            state = .rejecting(answer)
            return .none
        case .forward(let target):
            exchange.upstreamTarget = target
            state = .collecting
            if let length = head.declaredLength, length > configuration.maxRequestBody { return answer(.bodyTooLarge) }
            return head.expectsContinue ? .sendContinue : .none
        }
    }

    mutating func requestBody(_ buffer: ByteBuffer) -> ClientExchangeAction {
        switch state {
        case .collecting:
            if exchange.body == nil {
                exchange.body = buffer
            } else {
                var buffer = buffer
                exchange.body!.writeBuffer(&buffer)
            }
            return exchange.body!.readableBytes > configuration.maxRequestBody ? answer(.bodyTooLarge) : .none
        case .rejecting:
            return .none
        case .idle, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat, .closing, .lingering, .closed:
            preconditionFailure("request body while \(state)")
        }
    }

    /// `servesHeartbeat`: the profile answers GET with the local heartbeat stream (a fact the
    /// profile may learn at run time, so it is passed in).
    mutating func requestEnd(servesHeartbeat: Bool, now: NIODeadline) -> ClientExchangeAction {
        switch state {
        case .rejecting(let answer):
            return self.answer(answer)
        case .collecting:
            if exchange.method == "POST" {
                let verdict = exchange.body.map { body in body.withUnsafeReadableBytes { JSONRPCBodyCheck.check($0) } }
                    ?? JSONRPCBodyCheck.check(UnsafeRawBufferPointer(start: nil, count: 0))
                switch verdict {
                case .parseError: return answer(.bodyNotJSON)
                case .invalidRequest: return answer(.bodyNotJSONRPC)
                case .valid(let method): exchange.rpcMethod = method
                }
                if let policy = configuration.toolPolicy {
                    switch ToolCallCheck.verdict(body: exchange.body, head: exchange.head!, policy: policy) {
                    case .forward(let filter): exchange.toolList = filter.map(ToolListResponse.init)
                    case .refuse(let refusal):
                        exchange.refusedTool = refusal.tool
                        return answer(.toolRefused(refusal))
                    case .ambiguous(let reason): return answer(.ambiguousToolCall(reason))
                    }
                }
            }
            if exchange.method == "GET", servesHeartbeat { return startHeartbeat(learnedUpstreamRefusesGET: false) }
            state = .awaitingUpstream(forwardedAt: now)
            exchange.forwardedAt = now
            let body = exchange.body
            exchange.body = nil
            return .forward(UpstreamRequest(head: exchange.head!, target: exchange.upstreamTarget, body: body, exchangeNumber: exchange.number,
                                            responseIsFiltered: exchange.toolList != nil || (exchange.method == "GET" && configuration.toolPolicy != nil)))
        case .idle, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat, .closing, .lingering, .closed:
            preconditionFailure("request end while \(state)")
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
            closeAfterResponse = true
            state = .closing
            return .answer(answer, keepAlive: false, includingBody: true, then: ExchangeEnd(logEvent: nil, next: .closeConnection))
        case .collecting, .rejecting:
            return self.answer(answer)
        case .awaitingUpstream, .relaying, .collectingToolList, .heartbeat, .closing, .lingering, .closed:
            preconditionFailure("unreadable request while \(state)")
        }
    }

    /// After a parsing pass: `bufferedBytes` of input wait unparsed.
    mutating func inputBuffered(_ bufferedBytes: Int) -> ClientExchangeAction {
        guard !clientReadsPaused, bufferedBytes > configuration.maxBufferedInput else { return .none }
        switch state {
        case .collecting, .rejecting, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat:
            clientReadsPaused = true
            return .pauseClientReads
        case .idle, .closing, .lingering, .closed:
            return .none
        }
    }

    // MARK: Upstream

    /// Whether exchange `number` still waits for its upstream (a connect that finishes after its
    /// exchange timed out or the client left must not send anything).
    func awaitsUpstream(forExchange number: Int) -> Bool {
        guard case .awaitingUpstream = state else { return false }
        return exchange.number == number
    }

    mutating func upstreamResponseHead(_ head: ResponseHead, now: NIODeadline) -> ClientExchangeAction {
        switch state {
        case .awaitingUpstream(let forwardedAt):
            exchange.upstreamStatus = head.status
            exchange.upstreamRespondedAt = now
            if configuration.learnsFromRefusedGET, exchange.method == "GET", head.status == 405 {
                return startHeartbeat(learnedUpstreamRefusesGET: true)
            }
            exchange.status = head.status
            exchange.isEventStream = head.isEventStream
            var framing = HeaderRewriting.clientFraming(for: head, clientIsHTTP11: exchange.isHTTP11)
            if exchange.method == "GET", let policy = configuration.toolPolicy, head.isEventStream {
                exchange.toolList = ToolListResponse(filter: .replayedResponses(policy: policy))
            }
            if let toolList = exchange.toolList, (200..<300).contains(head.status), head.framing != .none {
                guard !head.isContentCoded else { return refuseToolList(.contentCoded) }
                guard head.isEventStream else { return collectToolList(head, forwardedAt: forwardedAt) }
                // Filtered events change length: the client's framing is the proxy's own.
                toolList.eventStream = EventStreamToolListFilter(filter: toolList.filter, limit: configuration.maxRequestBody, profile: configuration.profileName)
                framing = exchange.isHTTP11 ? .chunked : .untilClose
            }
            useFraming(framing)
            state = .relaying(forwardedAt: forwardedAt)
            return .writeResponseHead(head, framing: exchange.clientFraming, isEventStream: exchange.isEventStream, connectionClose: closeAfterResponse)
        case .relaying, .collectingToolList, .heartbeat(drainingUpstream: true):
            preconditionFailure("second upstream response head while \(state)")
        case .idle, .collecting, .rejecting, .heartbeat(drainingUpstream: false), .closing, .lingering, .closed:
            return .none
        }
    }

    mutating func upstreamResponseBody(_ buffer: ByteBuffer) -> ClientExchangeAction {
        switch state {
        case .relaying:
            exchange.captureErrorBody(buffer)
            var buffer = buffer
            if let toolList = exchange.toolList, toolList.eventStream != nil {
                switch toolList.eventStream!.feed(buffer) {
                case .relay(let filtered?): buffer = filtered
                case .relay(nil): return .none
                case .failed(let failure, let answer): return failToolListStream(failure, answer: answer)
                }
            }
            exchange.bytesOut += buffer.readableBytes
            return .writeBody(buffer, framing: exchange.clientFraming, pauseUpstreamReads: unwritableSince != nil)
        case .collectingToolList:
            let toolList = exchange.toolList!
            var buffer = buffer
            if toolList.body == nil { toolList.body = buffer } else { toolList.body!.writeBuffer(&buffer) }
            guard toolList.body!.readableBytes <= configuration.maxRequestBody else { return refuseToolList(.tooLarge) }
            return .none
        case .awaitingUpstream:
            preconditionFailure("upstream body before its head")
        case .idle, .collecting, .rejecting, .heartbeat, .closing, .lingering, .closed:
            return .none
        }
    }

    mutating func upstreamReadComplete() -> ClientExchangeAction {
        if case .relaying = state { return .flush }
        return .none
    }

    mutating func upstreamResponseEnd() -> ClientExchangeAction {
        switch state {
        case .relaying:
            if let toolList = exchange.toolList, toolList.eventStream != nil {
                switch toolList.eventStream!.finish() {
                case .relay(let last?):
                    exchange.bytesOut += last.readableBytes
                    return .finishResponseWith(last, framing: exchange.clientFraming, then: end(logging: .request))
                case .relay(nil): break
                case .failed(let failure, let answer): return failToolListStream(failure, answer: answer)
                }
            }
            return .finishResponse(framing: exchange.clientFraming, then: end(logging: .request))
        case .collectingToolList:
            return finishToolList()
        case .heartbeat(drainingUpstream: true):
            state = .heartbeat(drainingUpstream: false)
            return .none
        case .awaitingUpstream:
            preconditionFailure("upstream response end before its head")
        case .idle, .collecting, .rejecting, .heartbeat(drainingUpstream: false), .closing, .lingering, .closed:
            return .none
        }
    }

    mutating func upstreamFailed(_ failure: UpstreamFailure) -> ClientExchangeAction {
        switch state {
        case .awaitingUpstream, .collectingToolList:
            exchange.failure = failure
            return answer(.upstreamFailed(failure))
        case .relaying where exchange.isEventStream:
            // An event stream ends cleanly: its events so far were whole.
            exchange.failure = failure
            closeAfterResponse = true
            return .finishResponse(framing: exchange.clientFraming, then: end(logging: .request))
        case .relaying:
            // The status is already sent: cut the body so the client sees it incomplete.
            exchange.failure = failure
            closeAfterResponse = true
            return .cutResponse(then: end(logging: .request))
        case .heartbeat(drainingUpstream: true):
            state = .heartbeat(drainingUpstream: false)
            return .none
        case .idle, .collecting, .rejecting, .heartbeat(drainingUpstream: false), .closing, .lingering, .closed:
            return .none
        }
    }

    // MARK: Connection and time

    /// Backpressure: while the client cannot take more, the upstream is not read.
    mutating func clientWritabilityChanged(isWritable: Bool, now: NIODeadline) -> ClientExchangeAction {
        unwritableSince = isWritable ? nil : (unwritableSince ?? now)
        guard case .relaying = state else { return .none }
        return isWritable ? .resumeUpstreamReads : .pauseUpstreamReads
    }

    /// Shutdown: finish the current response, then close; event streams end at once, cleanly.
    mutating func quiesce() -> ClientExchangeAction {
        closeAfterResponse = true
        switch state {
        case .idle:
            state = .closed
            return .close
        case .heartbeat:
            return .finishResponse(framing: exchange.clientFraming, then: end(logging: .streamClosedForShutdown))
        case .relaying where exchange.isEventStream:
            return .finishResponse(framing: exchange.clientFraming, then: end(logging: .streamClosedForShutdown))
        case .collecting, .rejecting, .awaitingUpstream, .relaying, .collectingToolList, .closing, .lingering, .closed:
            return .none
        }
    }

    /// The client connection closed (or its handler was removed); safe to report twice.
    mutating func clientClosed() -> ClientExchangeAction {
        switch state {
        case .collecting, .rejecting, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat:
            if exchange.status == 0 { exchange.status = 499 }
            state = .closed
            return .endExchange(ExchangeEnd(logEvent: .clientClosed, next: .nothing))
        case .idle, .closing, .lingering, .closed:
            state = .closed
            return .none
        }
    }

    /// The answer to `ExchangeEnd.Next.closeConnection`: with client input still unread, closing
    /// would make the kernel reset the connection and destroy the answer in the client's receive
    /// buffer, so the proxy lingers instead (see `ConnectionLimits.lingeringTimeout`).
    mutating func closeRequested(inputPending: Bool, now: NIODeadline) -> ClientExchangeAction {
        guard case .closing = state else { preconditionFailure("close requested while \(state)") }
        guard inputPending else {
            state = .closed
            return .close
        }
        state = .lingering(since: now, discarded: 0)
        let resume = clientReadsPaused
        clientReadsPaused = false
        return .shutOutputAndLinger(resumeClientReads: resume)
    }

    mutating func heartbeatDue() -> ClientExchangeAction {
        guard case .heartbeat = state else { return .none }
        exchange.bytesOut += Self.heartbeatComment.utf8.count
        return .sendHeartbeat(framing: exchange.clientFraming)
    }

    /// The periodic limits check (`ConnectionLimits.checkInterval`): one per connection, so no
    /// timer is armed or cancelled per request.
    mutating func limitsCheckDue(now: NIODeadline) -> ClientExchangeAction {
        let limits = configuration.limits
        switch state {
        case .idle(let since):
            guard let since else {
                state = .idle(since: now)
                return .none
            }
            guard now - since > limits.requestHeadTimeout else { return .none }
            state = .closed
            return .close
        case .lingering(let since, _):
            guard now - since > limits.lingeringTimeout else { return .none }
            state = .closed
            return .close
        case .closing, .closed:
            return .none
        case .collecting, .rejecting, .awaitingUpstream, .relaying, .collectingToolList, .heartbeat:
            break
        }
        if let unwritableSince, now - unwritableSince > limits.stalledClientTimeout {
            // The close reports `clientClosed`, which ends and logs the exchange.
            exchange.failure = .clientStalled
            return .close
        }
        switch state {
        case .collecting, .rejecting:
            return now - exchange.startedAt > limits.requestBodyTimeout ? answer(.bodyTimedOut) : .none
        case .awaitingUpstream(let forwardedAt), .collectingToolList(let forwardedAt):
            guard now - forwardedAt > configuration.requestTimeout else { return .none }
            exchange.failure = .timedOut
            return answer(.upstreamFailed(.timedOut))
        case .relaying(let forwardedAt):
            guard !exchange.isEventStream, now - forwardedAt > configuration.requestTimeout else { return .none }
            exchange.failure = .timedOut
            closeAfterResponse = true
            return .cutResponse(then: end(logging: .request))
        case .heartbeat, .idle, .closing, .lingering, .closed:
            return .none
        }
    }

    // MARK: Transitions shared by several events

    /// A JSON response to a `tools/list` request is collected whole, up to `max_request_body`.
    private mutating func collectToolList(_ head: ResponseHead, forwardedAt: NIODeadline) -> ClientExchangeAction {
        if case .contentLength(let length) = head.framing, length > configuration.maxRequestBody { return refuseToolList(.tooLarge) }
        exchange.toolList!.head = head
        state = .collectingToolList(forwardedAt: forwardedAt)
        return .none
    }

    /// The collected response, filtered: refused tools removed, or the bytes as they came when
    /// there were none; with its own Content-Length either way.
    private mutating func finishToolList() -> ClientExchangeAction {
        let toolList = exchange.toolList!
        let head = toolList.head!
        var body = toolList.body ?? ByteBuffer()
        toolList.head = nil
        toolList.body = nil
        let message: JSONNode
        switch JSONNode.parsing(body.readableBytesView, rejectingDuplicateKeys: true) {
        case .success(let parsed): message = parsed
        case .failure(let failure): return refuseToolList(.unreadable(failure))
        }
        if let filtered = toolList.filter.filter(message) { body = ByteBuffer(string: filtered.serialized) }
        exchange.bytesOut = body.readableBytes
        exchange.clientFraming = .rewritten
        return .writeRewrittenResponse(head, body: body, connectionClose: closeAfterResponse, then: end(logging: .request))
    }

    /// Never the list unfiltered: JSON-RPC errors for the awaited ids instead.
    private mutating func refuseToolList(_ failure: ToolListFilter.Failure) -> ClientExchangeAction {
        exchange.failure = .unfilterableToolList(failure)
        let toolList = exchange.toolList!
        toolList.head = nil
        toolList.body = nil
        return answer(.toolListUnfilterable(toolList.filter, failure))
    }

    /// An event stream whose head is out ends with error events for the awaited ids; the upstream
    /// connection is let go.
    private mutating func failToolListStream(_ failure: ToolListFilter.Failure, answer: ByteBuffer) -> ClientExchangeAction {
        exchange.failure = .unfilterableToolList(failure)
        exchange.toolList?.eventStream = nil
        exchange.bytesOut += answer.readableBytes
        return .finishResponseWith(answer, framing: exchange.clientFraming, then: end(logging: .request))
    }

    /// The proxy answers the current request itself, and the exchange ends.
    private mutating func answer(_ answer: LocalAnswer) -> ClientExchangeAction {
        let keepAlive = !answer.closesConnection && !closeAfterResponse && exchange.isKeepAlive
        if !keepAlive { closeAfterResponse = true }
        exchange.status = answer.status
        exchange.body = nil
        // A response to HEAD has a Content-Length but no body (RFC 9110 §9.3.2).
        return .answer(answer, keepAlive: keepAlive, includingBody: exchange.method != "HEAD", then: end(logging: .request))
    }

    private mutating func startHeartbeat(learnedUpstreamRefusesGET: Bool) -> ClientExchangeAction {
        state = .heartbeat(drainingUpstream: learnedUpstreamRefusesGET)
        exchange.status = 200
        exchange.isEventStream = true
        useFraming(exchange.isHTTP11 ? .chunked : .untilClose)
        exchange.bytesOut += Self.heartbeatComment.utf8.count
        return .startHeartbeat(framing: exchange.clientFraming, learnedUpstreamRefusesGET: learnedUpstreamRefusesGET)
    }

    /// A body delimited by closing means closing after it.
    private mutating func useFraming(_ framing: HeaderRewriting.ClientFraming) {
        exchange.clientFraming = framing
        if framing == .untilClose { closeAfterResponse = true }
    }

    private mutating func end(logging event: ExchangeEnd.LogEvent) -> ExchangeEnd {
        if closeAfterResponse {
            state = .closing
            return ExchangeEnd(logEvent: event, next: .closeConnection)
        }
        state = .idle(since: nil)
        let resume = clientReadsPaused
        clientReadsPaused = false
        return ExchangeEnd(logEvent: event, next: .readNextRequest(resumeClientReads: resume))
    }
}
