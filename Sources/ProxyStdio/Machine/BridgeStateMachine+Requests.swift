import MCPMessages
import NIOCore

/// stdin's messages: checked, refused or turned into upstream calls; a cancellation handled the
/// way the message's revision wants; requests queued for a connection slot.
extension BridgeStateMachine.Rules {
    func received(_ line: ByteBuffer, finishing: Bool, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        // With a tool policy the line is parsed strictly (a key named twice makes it ambiguous);
        // only when that fails is it parsed again, to tell duplicates from a line that is not JSON.
        let policy = configuration.toolPolicy
        let profile = configuration.profileName
        let strict = policy == nil ? nil : JSONNode.parse(line.readableBytesView, rejectingDuplicateKeys: true)
        guard let node = strict ?? JSONNode.parse(line.readableBytesView) else {
            actions.append(BridgeStateMachine.error(id: .null, code: -32700, message: "parse error: the line is not JSON"))
            return
        }
        let message: ClientMessage
        switch ClientMessage.classify(node) {
        case .failure(let problem):
            actions.append(BridgeStateMachine.error(id: node["id"] ?? .null, code: problem == .parseError ? -32700 : -32600,
                                      message: "invalid request: not a JSON-RPC 2.0 message"))
            return
        case .success(let classified):
            message = classified
        }
        if finishing, case .request(let id) = message.kind {
            actions.append(shuttingDown(id))
            return
        }
        // The profile's tool policy holds on this path too: a refused call never goes upstream.
        if let policy {
            guard strict != nil else {
                actions.append(BridgeStateMachine.error(id: node["id"] ?? .null, code: -32600,
                                          message: "refused by the tool policy of profile \(profile): the message names a key twice"))
                actions.append(.refused(line, reason: "tool_ambiguous"))
                return
            }
            if let refusal = ToolCallCheck.refusal(in: node, policy: policy) {
                actions.append(.log(BridgeLogEntry(.warning, "stdio_tool_refused", [("refused_tool", .string(refusal.tool))])))
                actions.append(.refused(line, reason: "tool_policy"))
                let response = refusal.response(profile: profile)
                if !response.isEmpty { actions.append(.writeLine(Array(response.utf8))) }
                return
            }
        }
        if let cancelled = message.cancelledRequestID, cancel(requestID: cancelled, by: message, traffic: &traffic, actions: &actions) {
            return
        }
        if message.method == "initialize", case .request(let id) = message.kind {
            // A new initialize starts a new session: nothing of an earlier one is carried over.
            traffic.session = .initializing(requestID: id, sessionID: nil)
        }
        var call = BridgeStateMachine.Call(purpose: .message(message), phase: .queued(line))
        call.toolListFilter = policy.flatMap { ToolListFilter(request: node, policy: $0) }
        if message.declaredRevision != nil, message.method == "tools/call", let tool = message.name {
            call.paramHeaders = ParamHeaders.headers(for: traffic.toolHeaders.byTool[tool] ?? [], arguments: node["params"]?["arguments"])
        }
        let id = traffic.makeCallID()
        traffic.calls[id] = call
        // A request waits while `max_upstream_connections` requests are in flight; it is one of
        // the calls meanwhile, so shutdown and its grace cover it.
        if call.holdsConnectionSlot, traffic.requestsInFlight >= configuration.maximumConnections {
            traffic.queue.append(id)
        } else {
            send(id, traffic: &traffic, actions: &actions)
        }
    }

    /// A client's `notifications/cancelled`; true when it is handled here and not forwarded.
    /// A request still queued is never sent. A 2026-07-28 request in flight is cancelled the way
    /// that revision cancels over HTTP, by closing its exchange; so is the notification for one
    /// already answered (the upstream has nothing to cancel). A 2025-era one is forwarded, and
    /// its request's end without an answer is then expected, not an error.
    private func cancel(requestID: JSONNode, by notification: ClientMessage, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) -> Bool {
        if let index = traffic.queue.firstIndex(where: { traffic.calls[$0]?.requestIDs == [requestID] }) {
            let id = traffic.queue.remove(at: index)
            traffic.calls[id] = nil
            actions.append(.log(BridgeLogEntry(.info, "stdio_request_cancelled_before_sending")))
            return true
        }
        guard let (id, call) = traffic.calls.first(where: { $0.value.unansweredIDs.contains(requestID) }) else {
            return notification.declaredRevision != nil
        }
        traffic.calls[id]?.cancelled.append(requestID)
        guard call.revision != nil else { return false }
        actions.append(.log(BridgeLogEntry(.info, "stdio_request_cancelled", [("method", .string(call.method ?? ""))])))
        if call.wasSent { actions.append(.cancelCall(id)) }
        forget(id, traffic: &traffic, actions: &actions)
        return true
    }

    /// POSTs a client message, with the session's headers as they are now (a queued request
    /// learns the session that `initialize` opened while it waited).
    func send(_ id: BridgeStateMachine.CallID, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        guard var call = traffic.calls[id], case .queued(let body) = call.phase, let message = call.message else { return }
        if call.holdsConnectionSlot { traffic.requestsInFlight += 1 }
        var headers = [("accept", "application/json, text/event-stream"), ("content-type", "application/json")]
        // A message that names its revision is self-contained: that version, no session.
        let inSession: Bool
        if let revision = message.declaredRevision {
            headers.append(("mcp-protocol-version", HeaderValueEncoding.encode(revision)))
            inSession = false
        } else {
            headers += traffic.session.headers
            inSession = traffic.session.sessionID != nil
        }
        if let method = message.method { headers.append(("mcp-method", HeaderValueEncoding.encode(method))) }
        if let name = message.name { headers.append(("mcp-name", HeaderValueEncoding.encode(name))) }
        headers += call.paramHeaders
        call.phase = .sent(inSession: inSession)
        traffic.calls[id] = call
        actions.append(.startCall(id, BridgeRequest(method: "POST", headers: headers, body: body)))
    }

    /// The call is over or given up: it leaves the table, and a slot it held goes to the next
    /// queued request.
    func forget(_ id: BridgeStateMachine.CallID, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        guard let call = traffic.calls.removeValue(forKey: id) else { return }
        guard call.wasSent else {
            traffic.queue.removeAll { $0 == id }
            return
        }
        guard call.holdsConnectionSlot else { return }
        traffic.requestsInFlight -= 1
        while traffic.requestsInFlight < configuration.maximumConnections, !traffic.queue.isEmpty {
            send(traffic.queue.removeFirst(), traffic: &traffic, actions: &actions)
        }
    }

    func shuttingDown(_ id: JSONNode) -> BridgeAction {
        BridgeStateMachine.error(id: id, code: -32000, message: "mcp-auth-proxy (profile \(configuration.profileName)) is shutting down")
    }
}
