import MCPMessages
import NIOCore

/// What comes back from the upstream: messages to stdout (checked, and filtered by the tool
/// policy), the session learned from `initialize`, and an error for every request that cannot
/// get a real answer.
extension BridgeStateMachine.Rules {
    /// Checks one upstream message and writes it to stdout; a response to one of the call's
    /// requests counts as its answer.
    func deliver(_ bytes: [UInt8], from id: BridgeStateMachine.CallID, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        guard var call = traffic.calls[id] else { return }
        defer { traffic.calls[id] = call }
        // While a tool list may come, a key named twice must be seen: which of the two a client
        // reads is unknown. The strict parse is the only one then, unless it fails.
        // Every message of the call is examined: a second answer to a listed id is filtered too.
        let strictParse = call.toolListFilter != nil ? JSONNode.parsing(bytes, rejectingDuplicateKeys: true) : nil
        let strict = try? strictParse?.get()
        guard var node = strict ?? JSONNode.parse(bytes), case .success = ClientMessage.classify(node) else {
            actions.append(.log(BridgeLogEntry(.warning, "stdio_upstream_malformed", [("bytes", .int(bytes.count))])))
            return
        }
        if node["method"] == nil, let answered = node["id"] {
            call.markAnswered(answered)
            if case .initializing(let requestID, let sessionID) = traffic.session, answered == requestID,
               let version = node["result"]?["protocolVersion"]?.string {
                traffic.session = .established(sessionID: sessionID, version: HeaderValueEncoding.encode(version))
            }
        } else if case .array(let items) = node {
            for item in items where item["method"] == nil { if let answered = item["id"] { call.markAnswered(answered) } }
        }
        var bytes = bytes
        if call.revision != nil, call.method == "tools/list", node["method"] == nil {
            let (cleaned, dropped) = traffic.toolHeaders.learn(fromToolListResponse: node)
            if let cleaned {
                actions.append(.log(BridgeLogEntry(.warning, "stdio_tools_dropped", [("reason", .string("invalid x-mcp-header")), ("tools", .int(dropped.count))])))
                node = cleaned
                bytes = Array(cleaned.serialized.utf8)
            }
        }
        if var filter = call.toolListFilter {
            // No response that names a key twice passes.
            if case .failure(let failure)? = strictParse, node["method"] == nil {
                actions.append(.log(BridgeLogEntry(.warning, "stdio_tool_list_unfilterable", [("bytes", .int(bytes.count))])))
                let answer = filter.failureResponse(.unreadable(failure), profile: configuration.profileName)
                if !answer.isEmpty { actions.append(.writeLine(Array(answer.utf8))) }
                return
            }
            let filtered = filter.filter(node)
            call.toolListFilter = filter
            if let filtered {
                actions.append(.writeLine(Array(filtered.serialized.utf8)))
                return
            }
        }
        actions.append(.writeLine(bytes))
    }

    /// A call's exchange ended (the call has left the table already).
    func ended(_ call: BridgeStateMachine.Call, id: BridgeStateMachine.CallID, body: ByteBuffer, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        guard case .message(let message) = call.purpose else {
            serverStreamEnded(call, id: id, traffic: &traffic, actions: &actions)
            return
        }
        guard let head = call.head else {
            answerUnanswered(call, cause: "the upstream's exchange ended without a response head", data: nil, actions: &actions)
            return
        }
        var call = call
        // `deliver` looks the call up: it is back in the table while its body is read.
        func deliverBody() {
            traffic.calls[id] = call
            deliver(Array(body.readableBytesView), from: id, traffic: &traffic, actions: &actions)
            call = traffic.calls.removeValue(forKey: id) ?? call
        }
        if head.isSuccess, !head.isEventStream, body.readableBytes > 0 { deliverBody() }
        if head.isSuccess, message.method == "notifications/initialized", configuration.opensServerStream {
            openServerStream(&traffic, actions: &actions)
        }
        // A JSON-RPC answer in an error response (a 2026-07-28 server's UnsupportedProtocolVersion,
        // a 400 naming the request) is the upstream's own word: it reaches the client as it is.
        if !head.isSuccess, let answer = JSONNode.parse(body.readableBytesView), let answerID = answer["id"],
           answer["error"] != nil, call.unansweredIDs.contains(answerID) {
            deliverBody()
        }
        guard !call.unansweredIDs.isEmpty || !head.isSuccess else { return }
        let cause: String
        var data: [(String, JSONNode)] = [("status", .number(String(head.status)))]
        if head.isSuccess {
            cause = head.isEventStream ? "the upstream's event stream ended without a response" : "the upstream answered \(head.status) without a response"
        } else if head.status == 404, call.sentInSession {
            cause = "the upstream session expired (404); restart the MCP client's connection to initialize a new one"
            traffic.session = .sessionless
        } else {
            cause = "the upstream answered \(head.status)"
        }
        if !head.isSuccess, body.readableBytes > 0 {
            data.append(("body", .string(String(decoding: body.readableBytesView.prefix(512), as: UTF8.self))))
        }
        answerUnanswered(call, cause: cause, data: .object(data), actions: &actions)
    }

    /// An error response, for each request of the call still waiting, naming the profile and
    /// the cause; requests the client cancelled get nothing. Also logged.
    func answerUnanswered(_ call: BridgeStateMachine.Call, cause: String, data: JSONNode?, actions: inout [BridgeAction]) {
        guard call.message != nil else { return }
        var fields: [(key: StaticString, value: BridgeLogEntry.Value)] = [("method", .string(call.method ?? "response")), ("cause", .string(cause))]
        if let status = call.head?.status { fields.append(("status", .int(status))) }
        actions.append(.log(BridgeLogEntry(.warning, "stdio_request_failed", fields)))
        for id in call.unansweredIDs where !call.cancelled.contains(id) {
            actions.append(BridgeStateMachine.error(id: id, code: -32000, message: "mcp-auth-proxy (profile \(configuration.profileName)): \(cause)", data: data))
        }
    }

    // MARK: The GET stream

    func openServerStream(_ traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        switch traffic.session {
        case .sessionless, .initializing(_, sessionID: nil): return
        case .initializing, .established: break
        }
        switch traffic.serverStream.state {
        case .closed, .waiting: break
        case .open, .refused: return
        }
        var headers = [("accept", "text/event-stream")] + traffic.session.headers
        if let lastEventID = traffic.serverStream.lastEventID { headers.append(("last-event-id", lastEventID)) }
        var call = BridgeStateMachine.Call(purpose: .stream, phase: .sent(inSession: traffic.session.sessionID != nil))
        call.toolListFilter = configuration.toolPolicy.map { ToolListFilter.replayedResponses(policy: $0) }
        let id = traffic.makeCallID()
        traffic.calls[id] = call
        traffic.serverStream.state = .open(id)
        actions.append(.startCall(id, BridgeRequest(method: "GET", headers: headers, body: nil)))
    }

    private func serverStreamEnded(_ call: BridgeStateMachine.Call, id: BridgeStateMachine.CallID, traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        if case .open(id) = traffic.serverStream.state { traffic.serverStream.state = .closed }
        guard let status = call.head?.status else { return scheduleServerStream(&traffic, actions: &actions) }
        switch status {
        case 405:
            actions.append(.log(BridgeLogEntry(.info, "stdio_no_server_stream", [("status", .int(status))])))
            traffic.serverStream.state = .refused
        case 404, 400, 401, 403:
            actions.append(.log(BridgeLogEntry(.warning, "stdio_server_stream_refused", [("status", .int(status))])))
            traffic.serverStream.state = .refused
        default:
            scheduleServerStream(&traffic, actions: &actions)
        }
    }

    /// Reopens the stream after the current backoff, doubling it up to 30 s.
    func scheduleServerStream(_ traffic: inout BridgeStateMachine.Traffic, actions: inout [BridgeAction]) {
        guard traffic.serverStream.state == .closed else { return }
        let delay = traffic.serverStream.backoff
        traffic.serverStream.backoff = min(BridgeStateMachine.ServerStream.maximumBackoff, delay * 2)
        traffic.serverStream.state = .waiting
        actions.append(.scheduleStreamRetry(delay))
    }
}
