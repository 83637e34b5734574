import MCPMessages
import NIOCore

/// What `RequestStateMachine` answers without changing its state: the questions the connection
/// machine asks, and the actions that end a request.
extension RequestStateMachine {
    var wantsRequestParts: Bool {
        switch state {
        case .collecting, .rejecting: return true
        default: return false
        }
    }

    var isAwaitingUpstream: Bool {
        if case .awaitingUpstream = state { return true }
        return false
    }

    /// Whether the response is being relayed, so that the client's writability decides whether the upstream is read.
    var isRelaying: Bool {
        switch state {
        case .relaying, .relayingRewrittenEvents: return true
        default: return false
        }
    }

    /// The ids whose answers a rewrite still waits for (what tests look at); nil when the
    /// response is not rewritten.
    var awaitedToolListIDs: [JSONNode]? {
        switch state {
        case .awaitingUpstream(_, .rewritten(let filter), _), .awaitingUpstream(_, .eventsRewritten(let filter), _): return filter.awaitedIDs
        case .relayingRewrittenEvents(_, let events): return events.filter.awaitedIDs
        case .collectingWhole(_, let collected): return collected.filter.awaitedIDs
        default: return nil
        }
    }

    func clientWritabilityChanged(isWritable: Bool) -> RequestAction {
        guard isRelaying else { return .none }
        return isWritable ? .resumeUpstreamReads : .pauseUpstreamReads
    }

    /// Shutdown: event streams end at once, cleanly; anything else finishes first.
    func quiesce() -> RequestAction {
        switch state {
        case .heartbeat(let framing, _), .relaying(_, let framing, isEventStream: true), .relayingRewrittenEvents(let framing, _):
            return .end(.finish(framing: framing), log: .streamClosedForShutdown, closes: true)
        default:
            return .none
        }
    }

    func heartbeatDue(_ exchange: inout RequestExchange) -> RequestAction {
        guard case .heartbeat(let framing, _) = state else { return .none }
        exchange.bytesOut += ClientConnectionStateMachine.heartbeatComment.utf8.count
        return .sendHeartbeat(framing: framing)
    }

    // MARK: Endings

    /// The proxy answers the request itself, and the request ends.
    func answer(_ answer: LocalAnswer, _ exchange: inout RequestExchange) -> RequestAction {
        exchange.status = answer.status
        exchange.answerReason = answer.reason
        // A response to HEAD has a Content-Length but no body (RFC 9110 §9.3.2).
        return .end(.answer(answer, includingBody: method != .head), log: .request, closes: answer.closesConnection)
    }

    /// Never a body the treatment could not rewrite: JSON-RPC errors for the awaited ids instead.
    func refuseRewrite(_ filter: ToolListFilter, _ failure: ToolListFilter.Failure, _ exchange: inout RequestExchange) -> RequestAction {
        exchange.failure = .unfilterableToolList(failure)
        return answer(.toolListUnfilterable(filter, failure), &exchange)
    }

    /// An event stream whose head is out ends with error events for the awaited ids.
    func failRewrittenEvents(_ failure: ToolListFilter.Failure, answer: ByteBuffer, framing: Framing, _ exchange: inout RequestExchange) -> RequestAction {
        exchange.failure = .unfilterableToolList(failure)
        exchange.bytesOut += answer.readableBytes
        return .end(.finishWith(answer, framing: framing), log: .request, closes: false)
    }
}
