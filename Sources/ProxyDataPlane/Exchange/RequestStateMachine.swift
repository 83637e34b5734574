import MCPMessages
import NIOCore
import ProxyAudit

/// A forwarded request kept for one resend after the upstream refuses the OAuth token. Boxed, so
/// that the state every other request moves through stays as small as before (one pointer, nil).
final class KeptRequest {
    let request: UpstreamRequest

    init(_ request: UpstreamRequest) {
        self.request = request
    }
}

/// One request's life on a client connection, from its head to the end of its response: body
/// collection and limits, the local answers, forwarding, relaying (as it comes, collected whole
/// and rewritten, or rewritten event by event) and the local heartbeat stream.
///
/// Nested in `ClientConnectionStateMachine`'s `inRequest` case, which owns keep-alive, read
/// pausing and what follows the end (after async-http-client's `HTTPRequestStateMachine` inside
/// its `HTTP1ConnectionStateMachine`). Every value lives in the case it belongs to; the facts the
/// log line reports go into the `RequestExchange` the connection machine passes in.
struct RequestStateMachine {
    typealias Configuration = ClientConnectionStateMachine.Configuration
    typealias Framing = HeaderRewriting.ClientFraming

    enum State {
        /// Reading the body of a request that will be forwarded to `target`.
        case collecting(target: String, body: ByteBuffer?)
        /// Refused at the head; the body is read and dropped, then the answer goes out.
        case rejecting(LocalAnswer)
        /// Forwarded; no response head yet. `resend`: under `auth_scheme: oauth`, the request kept
        /// for one more attempt should the upstream refuse the token (nil once used, or elsewhere).
        case awaitingUpstream(forwardedAt: NIODeadline, treatment: ResponseTreatment, resend: KeptRequest?)
        /// The upstream refused the OAuth token (401): its answer is dropped (`drainingUpstream`
        /// while its body still arrives) and a fresh token awaited (`renewed` once it is there);
        /// then `request` goes once more. Boxed: rare.
        indirect case resendingWithFreshToken(forwardedAt: NIODeadline, treatment: ResponseTreatment, request: UpstreamRequest,
                                              drainingUpstream: Bool, renewed: Bool)
        /// Relaying the upstream's response as it comes (head written or held back).
        case relaying(forwardedAt: NIODeadline, framing: Framing, isEventStream: Bool)
        /// Relaying an event stream rewritten event by event (boxed: rare and large).
        indirect case relayingRewrittenEvents(framing: Framing, events: EventStreamToolListFilter)
        /// Collecting a JSON response whole, to rewrite it; nothing is written until its end.
        indirect case collectingWhole(forwardedAt: NIODeadline, CollectedResponse)
        /// The local heartbeat stream; `drainingUpstream` while the body of the 405 that started
        /// it is still arriving (and being dropped).
        case heartbeat(framing: Framing, drainingUpstream: Bool)
        /// Only while a method mutates a payload, so that it is uniquely referenced.
        case modifying
    }

    /// Written only in this file; `+Facts` reads it.
    private(set) var state: State
    /// The head's facts the transitions read; the head itself stays in the `RequestExchange`
    /// record, so that moving this machine in and out of its case retains nothing of it.
    let method: RequestMethod
    let isHTTP11: Bool

    /// The request's first step: refused (the body, if any, drained first) or collected for forwarding.
    init(head: RequestHead, verdict: RequestAdmission.Verdict) {
        self.method = RequestMethod(head.method)
        self.isHTTP11 = head.isHTTP11
        switch verdict {
        case .refuse(let answer): state = .rejecting(answer)
        case .forward(let target): state = .collecting(target: target, body: nil)
        }
    }

    /// What follows the head at once: an answer that cannot wait, `100 Continue`, or nothing.
    mutating func started(_ head: RequestHead, _ configuration: Configuration, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .rejecting(let answer) where answer.closesConnection:
            return self.answer(answer, &exchange)
        case .collecting(let target, _):
            exchange.upstreamTarget = target
            if let length = head.declaredLength, length > configuration.maxRequestBody { return answer(.bodyTooLarge, &exchange) }
            return head.expectsContinue ? .sendContinue : .none
        default:
            return .none
        }
    }

    // MARK: Client input

    mutating func requestBody(_ buffer: ByteBuffer, _ configuration: Configuration, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .collecting:
            guard case .collecting(let target, var body) = takeState() else { preconditionFailure() }
            if body == nil {
                body = buffer
            } else {
                var buffer = buffer
                body?.writeBuffer(&buffer)
            }
            let size = body?.readableBytes ?? 0
            state = .collecting(target: target, body: body)
            return size > configuration.maxRequestBody ? answer(.bodyTooLarge, &exchange) : .none
        case .rejecting:
            return .none
        default:
            preconditionFailure("request body while \(state)")
        }
    }

    mutating func requestEnd(servesHeartbeat: Bool, now: NIODeadline, _ configuration: Configuration, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .rejecting(let answer):
            return self.answer(answer, &exchange)
        case .collecting:
            guard case .collecting(let target, let body) = takeState() else { preconditionFailure() }
            if method == .post {
                let verdict = body.map { body in body.withUnsafeReadableBytes { JSONRPCBodyCheck.check($0) } }
                    ?? JSONRPCBodyCheck.check(UnsafeRawBufferPointer(start: nil, count: 0))
                switch verdict {
                case .parseError: return answer(.bodyNotJSON, &exchange)
                case .invalidRequest: return answer(.bodyNotJSONRPC, &exchange)
                case .valid(let method): exchange.rpcMethod = method
                }
                // Read before the policy decides, so a refused call is audited with its arguments.
                if let trail = configuration.audit, exchange.rpcMethod.map(AuditedRequest.methods.contains) ?? true, let body {
                    exchange.audited = body.withUnsafeReadableBytes { AuditedRequest(body: $0, arguments: trail.arguments) }
                }
                // A sampled span names the message's id and the call's target: read only then, and
                // from the audit's reading of the body when there is one.
                if let trace = exchange.trace, trace.sampled, exchange.rpcMethod != nil, let body {
                    trace.call = exchange.audited.flatMap(TracedCall.init(audited:)) ?? body.withUnsafeReadableBytes { TracedCall(body: $0) }
                }
            }
            if method == .get, servesHeartbeat { return startHeartbeat(learnedUpstreamRefusesGET: false, &exchange) }
            let treatment: ResponseTreatment
            guard let head = exchange.head else { preconditionFailure("a request without its head in the record") }
            // Under client_auth: oauth the token's scopes chose the policy; else the profile's.
            let policy = exchange.client.map(\.toolPolicy) ?? configuration.toolPolicy
            switch PolicyDecision.on(method: head.method, body: body, head: head, policy: policy) {
            case .forward(let chosen): treatment = chosen
            case .refuse(let refusal, let tool):
                exchange.refusedTool = tool
                return answer(refusal, &exchange)
            }
            if let limiter = configuration.rateLimiter, limiter.counts(method: method, rpcMethod: exchange.rpcMethod),
               let refusal = limiter.refusal(client: exchange.rateBucket, now: now) {
                return answer(.rateLimited(refusal), &exchange)
            }
            let request = UpstreamRequest(head: head, target: target, body: body, exchangeNumber: exchange.number,
                                          responseIsFiltered: treatment.rewritesBody)
            state = .awaitingUpstream(forwardedAt: now, treatment: treatment, resend: configuration.resendsOnRefusedToken ? KeptRequest(request) : nil)
            exchange.forwardedAt = now
            return .forward(request)
        default:
            preconditionFailure("request end while \(state)")
        }
    }

    /// Unparseable bytes after the head: 431 or 400; the answer closes the connection.
    mutating func requestUnreadable(_ answer: LocalAnswer, _ exchange: inout RequestExchange) -> RequestAction {
        guard wantsRequestParts else { preconditionFailure("unreadable request while \(state)") }
        return self.answer(answer, &exchange)
    }

    // MARK: Upstream

    mutating func upstreamResponseHead(_ response: ResponseHead, now: NIODeadline, _ configuration: Configuration, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .awaitingUpstream:
            guard case .awaitingUpstream(let forwardedAt, let treatment, let resend) = takeState() else { preconditionFailure() }
            exchange.upstreamStatus = response.status
            exchange.upstreamRespondedAt = now
            if response.status == 401, let resend {
                // The server did not act on a request it refused: it may go again, once, with a fresh token.
                state = .resendingWithFreshToken(forwardedAt: forwardedAt, treatment: treatment, request: resend.request,
                                                 drainingUpstream: true, renewed: false)
                return .awaitFreshToken
            }
            if configuration.learnsFromRefusedGET, method == .get, response.status == 405 {
                return startHeartbeat(learnedUpstreamRefusesGET: true, &exchange)
            }
            exchange.status = response.status
            exchange.isEventStream = response.isEventStream
            switch treatment.application(to: response, limit: configuration.maxRequestBody, profile: configuration.profileName) {
            case .passThrough:
                let framing = HeaderRewriting.clientFraming(for: response, clientIsHTTP11: isHTTP11)
                state = .relaying(forwardedAt: forwardedAt, framing: framing, isEventStream: response.isEventStream)
                return .writeResponseHead(response, framing: framing, isEventStream: response.isEventStream)
            case .rewriteEvents(let events):
                // Rewritten events change length: the client's framing is the proxy's own.
                let framing: Framing = isHTTP11 ? .chunked : .untilClose
                state = .relayingRewrittenEvents(framing: framing, events: events)
                return .writeResponseHead(response, framing: framing, isEventStream: true)
            case .collectWhole(let collected):
                state = .collectingWhole(forwardedAt: forwardedAt, collected)
                return .none
            case .refuse(let filter, let failure):
                return refuseRewrite(filter, failure, &exchange)
            }
        case .relaying, .relayingRewrittenEvents, .collectingWhole, .heartbeat(_, drainingUpstream: true), .modifying,
             .resendingWithFreshToken(_, _, _, drainingUpstream: true, _):
            preconditionFailure("second upstream response head while \(state)")
        case .collecting, .rejecting, .heartbeat(_, drainingUpstream: false), .resendingWithFreshToken:
            return .none
        }
    }

    mutating func upstreamResponseBody(_ buffer: ByteBuffer, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .relaying(_, let framing, _):
            exchange.captureErrorBody(buffer)
            exchange.audited?.capture(buffer)
            exchange.bytesOut += buffer.readableBytes
            return .writeBody(buffer, framing: framing)
        case .relayingRewrittenEvents:
            guard case .relayingRewrittenEvents(let framing, var events) = takeState() else { preconditionFailure() }
            let output = events.feed(buffer)
            state = .relayingRewrittenEvents(framing: framing, events: events)
            switch output {
            case .relay(let rewritten?):
                exchange.audited?.capture(rewritten)
                exchange.bytesOut += rewritten.readableBytes
                return .writeBody(rewritten, framing: framing)
            case .relay(nil): return .none
            case .failed(let failure, let answer): return failRewrittenEvents(failure, answer: answer, framing: framing, &exchange)
            }
        case .collectingWhole:
            guard case .collectingWhole(let forwardedAt, var collected) = takeState() else { preconditionFailure() }
            guard collected.append(buffer) else { return refuseRewrite(collected.filter, .tooLarge, &exchange) }
            state = .collectingWhole(forwardedAt: forwardedAt, collected)
            return .none
        case .awaitingUpstream, .modifying:
            preconditionFailure("upstream body before its head")
        case .collecting, .rejecting, .heartbeat, .resendingWithFreshToken:
            return .none
        }
    }

    mutating func upstreamResponseEnd(_ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .relaying(_, let framing, _):
            return .end(.finish(framing: framing), log: .request, closes: false)
        case .relayingRewrittenEvents:
            guard case .relayingRewrittenEvents(let framing, var events) = takeState() else { preconditionFailure() }
            switch events.finish() {
            case .relay(let last?):
                exchange.bytesOut += last.readableBytes
                return .end(.finishWith(last, framing: framing), log: .request, closes: false)
            case .relay(nil): return .end(.finish(framing: framing), log: .request, closes: false)
            case .failed(let failure, let answer): return failRewrittenEvents(failure, answer: answer, framing: framing, &exchange)
            }
        case .collectingWhole:
            guard case .collectingWhole(_, var collected) = takeState() else { preconditionFailure() }
            switch collected.finish() {
            case .body(let body):
                exchange.bytesOut = body.readableBytes
                return .end(.rewritten(collected.head, body: body), log: .request, closes: false)
            case .failed(let failure):
                return refuseRewrite(collected.filter, failure, &exchange)
            }
        case .heartbeat(let framing, drainingUpstream: true):
            state = .heartbeat(framing: framing, drainingUpstream: false)
            return .none
        case .resendingWithFreshToken(_, _, _, drainingUpstream: true, _):
            return refusedAnswerDrained()
        case .awaitingUpstream, .modifying:
            preconditionFailure("upstream response end before its head")
        case .collecting, .rejecting, .heartbeat(_, drainingUpstream: false), .resendingWithFreshToken:
            return .none
        }
    }

    mutating func upstreamFailed(_ failure: UpstreamFailure, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .awaitingUpstream, .collectingWhole:
            exchange.failure = .upstream(failure)
            return answer(.upstreamFailed(failure), &exchange)
        case .relaying(_, let framing, isEventStream: true), .relayingRewrittenEvents(let framing, _):
            // An event stream ends cleanly: its events so far were whole.
            exchange.failure = .upstream(failure)
            return .end(.finish(framing: framing), log: .request, closes: true)
        case .relaying:
            // The status is already sent: cut the body so the client sees it incomplete.
            exchange.failure = .upstream(failure)
            return .end(.cut, log: .request, closes: true)
        case .heartbeat(let framing, drainingUpstream: true):
            state = .heartbeat(framing: framing, drainingUpstream: false)
            return .none
        case .resendingWithFreshToken(_, _, _, drainingUpstream: true, _):
            // The refused answer's connection broke: its body was not wanted anyway.
            return refusedAnswerDrained()
        case .collecting, .rejecting, .heartbeat(_, drainingUpstream: false), .modifying, .resendingWithFreshToken:
            return .none
        }
    }

    /// The slot holds a token newer than the refused one (or none at all): the request goes again.
    mutating func tokenRenewed() -> RequestAction {
        guard case .resendingWithFreshToken(let forwardedAt, let treatment, let request, let draining, _) = state else { return .none }
        guard !draining else {
            state = .resendingWithFreshToken(forwardedAt: forwardedAt, treatment: treatment, request: request, drainingUpstream: true, renewed: true)
            return .none
        }
        state = .awaitingUpstream(forwardedAt: forwardedAt, treatment: treatment, resend: nil)
        return .forward(request)
    }

    /// The refused answer has been read to its end (or its connection is gone).
    private mutating func refusedAnswerDrained() -> RequestAction {
        guard case .resendingWithFreshToken(let forwardedAt, let treatment, let request, _, let renewed) = takeState() else { preconditionFailure() }
        guard renewed else {
            state = .resendingWithFreshToken(forwardedAt: forwardedAt, treatment: treatment, request: request, drainingUpstream: false, renewed: false)
            return .none
        }
        state = .awaitingUpstream(forwardedAt: forwardedAt, treatment: treatment, resend: nil)
        return .forward(request)
    }

    // MARK: Time

    /// The body and response time limits.
    mutating func limitsCheckDue(now: NIODeadline, _ configuration: Configuration, _ exchange: inout RequestExchange) -> RequestAction {
        switch state {
        case .collecting, .rejecting:
            return now - exchange.startedAt > configuration.limits.requestBodyTimeout ? answer(.bodyTimedOut, &exchange) : .none
        case .awaitingUpstream(let forwardedAt, _, _), .collectingWhole(let forwardedAt, _),
             .resendingWithFreshToken(let forwardedAt, _, _, _, _):
            guard now - forwardedAt > configuration.requestTimeout else { return .none }
            exchange.failure = .upstream(.timedOut)
            return answer(.upstreamFailed(.timedOut), &exchange)
        case .relaying(let forwardedAt, _, isEventStream: false):
            guard now - forwardedAt > configuration.requestTimeout else { return .none }
            exchange.failure = .upstream(.timedOut)
            return .end(.cut, log: .request, closes: true)
        case .relaying, .relayingRewrittenEvents, .heartbeat, .modifying:
            return .none
        }
    }

    // MARK: Transitions shared by several events

    /// The state moved out (`moveOut`), `.modifying` in its place until the branch writes the next.
    @inline(__always)
    private mutating func takeState() -> State {
        moveOut(&state, leaving: .modifying)
    }

    private mutating func startHeartbeat(learnedUpstreamRefusesGET: Bool, _ exchange: inout RequestExchange) -> RequestAction {
        let framing: Framing = isHTTP11 ? .chunked : .untilClose
        state = .heartbeat(framing: framing, drainingUpstream: learnedUpstreamRefusesGET)
        exchange.status = 200
        exchange.isEventStream = true
        exchange.bytesOut += ClientConnectionStateMachine.heartbeatComment.utf8.count
        return .startHeartbeat(framing: framing, learnedUpstreamRefusesGET: learnedUpstreamRefusesGET)
    }
}
