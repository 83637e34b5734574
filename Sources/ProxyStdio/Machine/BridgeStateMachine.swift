import MCPMessages
import NIOCore
import ProxyConfig

/// The stdio bridge's logic as a value: what each stdin line, upstream event, timer and signal
/// does to the session, the calls in flight and the shutdown, as a list of `BridgeAction`s that
/// `StdioBridge` (the channel handler) carries out. It owns no channel, timer or connection, so
/// every event in every state is tested without a socket (`BridgeStateMachineTableTests`).
///
/// Serving → finishing (stdin ended or a signal: no new requests, in-flight ones get the grace
/// period) → deleting (the session's DELETE) → closing (stdout is being closed) → finished.
/// stdout closing from the other side ends it from any state.
struct BridgeStateMachine {
    struct Configuration {
        var profileName: String
        /// How long in-flight requests may take to finish after stdin ends or a signal.
        var grace: TimeAmount
        /// The largest message accepted from the client (`max_request_body`).
        var maximumRequestBytes: Int
        /// Requests in flight at once (`max_upstream_connections`); more wait in order.
        var maximumConnections: Int
        /// Whether to open the GET stream for server-initiated messages after initialization.
        var opensServerStream: Bool
        var toolPolicy: ToolPolicy?
    }

    private enum State {
        case serving(Traffic)
        /// Grace period: calls in flight finish; new requests are refused.
        case finishing(Traffic)
        /// Every message call is over; the session's DELETE is out.
        case deleting(CallID)
        /// `close` was asked for; waiting for stdout to be gone.
        case closing
        case finished
        /// Only while an event handler holds the traffic (avoids copying it on write).
        case modifying
    }

    /// The states as the table test names them.
    enum Phase: Equatable {
        case serving, finishing, deleting, closing, finished
    }

    /// How messages are handled: the configuration and the logic that needs nothing but it.
    /// Apart from the machine, so that it can run while an event holds the traffic.
    struct Rules {
        let configuration: Configuration
    }

    let rules: Rules
    var configuration: Configuration { rules.configuration }
    private var state = State.serving(Traffic())

    init(configuration: Configuration) {
        rules = Rules(configuration: configuration)
    }

    var phase: Phase {
        switch state {
        case .serving: .serving
        case .finishing: .finishing
        case .deleting: .deleting
        case .closing: .closing
        case .finished: .finished
        case .modifying: preconditionFailure("invariant: the bridge machine is observed mid-event")
        }
    }

    /// The session as it stands (nil once the traffic is gone).
    var session: Session? {
        switch state {
        case .serving(let traffic), .finishing(let traffic): traffic.session
        default: nil
        }
    }

    /// Calls in flight or queued, for tests and the shell's consistency checks.
    var callCount: Int {
        switch state {
        case .serving(let traffic), .finishing(let traffic): traffic.calls.count
        case .deleting: 1
        default: 0
        }
    }

    /// Cancelled request ids remembered, over all calls: bounded by what is in flight.
    var cancelledIDCount: Int {
        switch state {
        case .serving(let traffic), .finishing(let traffic): traffic.calls.values.reduce(0) { $0 + $1.cancelled.count }
        default: 0
        }
    }

    // MARK: Events from stdin

    /// One line of stdin (not yet parsed).
    mutating func lineReceived(_ line: ByteBuffer) -> [BridgeAction] {
        guard line.readableBytesView.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { return [] }
        switch state {
        case .serving, .finishing:
            let rules = rules
        return withTraffic { traffic, finishing, actions in
                rules.received(line, finishing: finishing, traffic: &traffic, actions: &actions)
            } ?? []
        case .deleting, .closing:
            // The session is being deleted: a request gets its error, a line that is no message
            // says so, anything else has no one to reach.
            guard let node = JSONNode.parse(line.readableBytesView) else {
                return [Self.error(id: .null, code: -32700, message: "parse error: the line is not JSON")]
            }
            switch ClientMessage.classify(node) {
            case .failure(let problem):
                return [Self.error(id: node["id"] ?? .null, code: problem == .parseError ? -32700 : -32600,
                                   message: "invalid request: not a JSON-RPC 2.0 message")]
            case .success(let message):
                guard case .request(let id) = message.kind else { return [] }
                return [rules.shuttingDown(id)]
            }
        case .finished:
            return []
        case .modifying:
            preconditionFailure("invariant: reentrant bridge event")
        }
    }

    /// A stdin line over `max_request_body`: its error, with the id read from its start.
    mutating func lineTooLong(start: [UInt8]) -> [BridgeAction] {
        if case .finished = state { return [] }
        return [Self.error(id: OversizedMessage.id(in: start) ?? .null, code: -32600,
                           message: "message over max_request_body (\(configuration.maximumRequestBytes) bytes) of profile \(configuration.profileName)")]
    }

    /// stdin ended: finish as after a signal.
    mutating func inputClosed() -> [BridgeAction] {
        switch state {
        case .serving: [.log(BridgeLogEntry(.info, "stdio_input_closed"))] + stopRequested()
        default: []
        }
    }

    /// A signal (or stdin's end): no new requests; in-flight ones get the grace period; then the
    /// session is deleted and the bridge stops.
    mutating func stopRequested() -> [BridgeAction] {
        guard case .serving(var traffic) = state else { return [] }
        state = .modifying
        var actions: [BridgeAction] = []
        switch traffic.serverStream.state {
        case .open(let call):
            traffic.calls[call] = nil
            actions.append(.cancelCall(call))
        case .waiting:
            actions.append(.cancelStreamRetry)
        case .closed, .refused:
            break
        }
        traffic.serverStream.state = .refused
        actions.append(.scheduleGrace(configuration.grace))
        // A subscription stream lasts until closed: the bridge closes it, nothing is lost.
        for (id, call) in traffic.calls where call.method == "subscriptions/listen" {
            if call.wasSent { actions.append(.cancelCall(id)) }
            rules.forget(id, traffic: &traffic, actions: &actions)
        }
        state = .finishing(traffic)
        finishIfIdle(&actions)
        return actions
    }

    /// The grace period is over: what still runs is stopped and answered with an error.
    mutating func graceExpired() -> [BridgeAction] {
        switch state {
        case .serving:
            preconditionFailure("invariant: the grace timer runs only while finishing")
        case .finishing:
            let rules = rules
        return withTraffic { traffic, _, actions in
                // Nothing queued is sent now: the slots that free up go to no one.
                traffic.queue.removeAll()
                for id in traffic.calls.keys.sorted(by: { $0.number < $1.number }) {
                    guard let call = traffic.calls[id] else { continue }
                    if call.wasSent { actions.append(.cancelCall(id)) }
                    rules.forget(id, traffic: &traffic, actions: &actions)
                    rules.answerUnanswered(call, cause: "the bridge is shutting down and the grace period ended", data: nil, actions: &actions)
                }
            } ?? []
        case .deleting, .closing, .finished:
            return []
        case .modifying:
            preconditionFailure("invariant: reentrant bridge event")
        }
    }

    /// The GET stream's backoff has passed: reopen it.
    mutating func streamRetryDue() -> [BridgeAction] {
        guard case .serving = state else { return [] }
        let rules = rules
        return withTraffic { traffic, _, actions in
            guard traffic.serverStream.state == .waiting else { return }
            rules.openServerStream(&traffic, actions: &actions)
        } ?? []
    }

    /// stdout is gone (the client exited): nothing more can be delivered; every exchange is closed.
    mutating func outputClosed() -> [BridgeAction] {
        var actions: [BridgeAction] = []
        switch state {
        case .serving(let traffic), .finishing(let traffic):
            for id in traffic.calls.keys.sorted(by: { $0.number < $1.number }) where traffic.calls[id]?.wasSent == true {
                actions.append(.cancelCall(id))
            }
            if traffic.serverStream.state == .waiting { actions.append(.cancelStreamRetry) }
            if case .finishing = state { actions.append(.cancelGrace) }
        case .deleting(let call):
            actions += [.cancelCall(call), .cancelGrace]
        case .closing:
            break
        case .finished:
            preconditionFailure("invariant: stdout closed twice")
        case .modifying:
            preconditionFailure("invariant: reentrant bridge event")
        }
        state = .finished
        actions.append(.reportFinished)
        return actions
    }

    // MARK: Events from upstream exchanges

    mutating func callHead(_ id: CallID, _ head: BridgeResponseHead) -> [BridgeAction] {
        withTraffic { traffic, _, _ in
            guard var call = traffic.calls[id], case .sent(let inSession) = call.phase else { return }
            call.phase = .responding(head, inSession: inSession)
            traffic.calls[id] = call
            if call.method == "initialize", head.isSuccess, let assigned = head.sessionID,
               case .initializing(let requestID, _) = traffic.session, call.requestIDs == [requestID] {
                traffic.session = .initializing(requestID: requestID, sessionID: assigned)
            }
        } ?? []
    }

    /// One event of an event-stream response.
    mutating func callEvent(_ id: CallID, _ event: EventStreamDecoder.Event) -> [BridgeAction] {
        let rules = rules
        return withTraffic { traffic, _, actions in
            guard let call = traffic.calls[id] else { return }
            if case .stream = call.purpose {
                if let eventID = event.id { traffic.serverStream.lastEventID = eventID }
                traffic.serverStream.backoff = ServerStream.initialBackoff
            }
            // An HTTP client would not read it: nor does the bridge's client (a decoy cannot pass).
            guard !event.data.isEmpty, event.isMessage else { return }
            rules.deliver(Array(event.data.utf8), from: id, traffic: &traffic, actions: &actions)
        } ?? []
    }

    /// The exchange ended; `body` is a plain response's body (the first 512 bytes of an error's,
    /// with credentials redacted), empty for an event stream.
    mutating func callEnded(_ id: CallID, body: ByteBuffer) -> [BridgeAction] {
        if case .deleting(let call) = state, call == id { return stop() }
        let rules = rules
        return withTraffic { traffic, _, actions in
            guard let call = traffic.calls[id] else { return }
            rules.forget(id, traffic: &traffic, actions: &actions)
            rules.ended(call, id: id, body: body, traffic: &traffic, actions: &actions)
        } ?? []
    }

    /// The exchange failed (no connection, a timeout, a response the bridge cannot read).
    mutating func callFailed(_ id: CallID, reason: String) -> [BridgeAction] {
        if case .deleting(let call) = state, call == id {
            return [.log(BridgeLogEntry(.warning, "stdio_session_delete_failed", [("reason", .string(reason))]))] + stop()
        }
        let rules = rules
        return withTraffic { traffic, _, actions in
            guard let call = traffic.calls[id] else { return }
            rules.forget(id, traffic: &traffic, actions: &actions)
            switch call.purpose {
            case .stream:
                actions.append(.log(BridgeLogEntry(.warning, "stdio_stream_failed", [("reason", .string(reason))])))
                if case .open(id) = traffic.serverStream.state { traffic.serverStream.state = .closed }
                rules.scheduleServerStream(&traffic, actions: &actions)
            case .message:
                rules.answerUnanswered(call, cause: reason, data: nil, actions: &actions)
            }
        } ?? []
    }

    // MARK: Lifecycle

    /// Runs `body` on the traffic of a serving or finishing bridge without copying it, then, while
    /// finishing, moves on once the last message call is over. Nil in any other state.
    private mutating func withTraffic(_ body: (inout Traffic, _ finishing: Bool, inout [BridgeAction]) -> Void) -> [BridgeAction]? {
        var actions: [BridgeAction] = []
        switch state {
        case .serving(var traffic):
            state = .modifying
            body(&traffic, false, &actions)
            state = .serving(traffic)
        case .finishing(var traffic):
            state = .modifying
            body(&traffic, true, &actions)
            state = .finishing(traffic)
            finishIfIdle(&actions)
        case .deleting, .closing, .finished:
            return nil
        case .modifying:
            preconditionFailure("invariant: reentrant bridge event")
        }
        return actions
    }

    /// Finishing with no message call left: delete the session if there is one, else stop.
    private mutating func finishIfIdle(_ actions: inout [BridgeAction]) {
        guard case .finishing(var traffic) = state, !traffic.hasMessageCalls else { return }
        for (id, call) in traffic.calls where call.wasSent { actions.append(.cancelCall(id)) }
        guard let sessionID = traffic.session.sessionID else {
            actions += stop()
            return
        }
        var headers = [("mcp-session-id", sessionID)]
        if case .established(_, let version) = traffic.session { headers.append(("mcp-protocol-version", version)) }
        let id = traffic.makeCallID()
        state = .deleting(id)
        actions.append(.startCall(id, BridgeRequest(method: "DELETE", headers: headers, body: nil)))
    }

    private mutating func stop() -> [BridgeAction] {
        state = .closing
        return [.cancelGrace, .log(BridgeLogEntry(.info, "stdio_stopped")), .close]
    }


    /// A JSON-RPC error response as one line's bytes.
    static func error(id: JSONNode, code: Int, message: String, data: JSONNode? = nil) -> BridgeAction {
        var error: [(String, JSONNode)] = [("code", .number(String(code))), ("message", .string(message))]
        if let data { error.append(("data", data)) }
        let response = JSONNode.object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object(error))])
        return .writeLine(Array(response.serialized.utf8))
    }
}
