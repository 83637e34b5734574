import MCPMessages
import NIOCore
import ProxyDataPlane
import ProxyLogging

/// What comes back from the upstream: messages to stdout, the session learned from initialize,
/// and an error response for every request that cannot get a real one.
extension StdioBridge {
    func callReceivedHead(_ call: BridgeCall, _ head: UpstreamCall.Head) {
        if case .message(let message) = call.purpose, message.method == "initialize", call.isSuccess, let assigned = head.sessionID {
            sessionID = assigned
        }
    }

    func streamEvent(_ event: EventStreamDecoder.Event, from call: BridgeCall) {
        if case .stream = call.purpose {
            if let id = event.id { server.lastEventID = id }
            server.backoff = ServerStream.initialBackoff
        }
        // An HTTP client would not read it: nor does the bridge's client (a decoy cannot pass).
        guard !event.data.isEmpty, event.isMessage else { return }
        deliver(Array(event.data.utf8), from: call)
    }

    /// Checks one upstream message and writes it to stdout; a response to one of the call's
    /// requests counts as its answer.
    func deliver(_ bytes: [UInt8], from call: BridgeCall) {
        // While a tool list may come, a key named twice must be seen: which of the two a client
        // reads is unknown. The strict parse is the only one then, unless it fails.
        // Every message of the call is examined: a second answer to a listed id is filtered too.
        let filtering = call.toolListFilter != nil
        let strictParse = filtering ? JSONNode.parsing(bytes, rejectingDuplicateKeys: true) : nil
        let strict = try? strictParse?.get()
        guard var node = strict ?? JSONNode.parse(bytes), case .success = ClientMessage.classify(node) else {
            log(.warning, "stdio_upstream_malformed") { $0.field("bytes", bytes.count) }
            return
        }
        if node["method"] == nil, let id = node["id"] {
            call.markAnswered(id)
            if id == initializeID, let version = node["result"]?["protocolVersion"]?.string {
                protocolVersion = HeaderValueEncoding.encode(version)
            }
        } else if case .array(let items) = node {
            for item in items where item["method"] == nil { if let id = item["id"] { call.markAnswered(id) } }
        }
        var bytes = bytes
        if call.revision != nil, call.method == "tools/list", node["method"] == nil {
            let (cleaned, dropped) = toolHeaders.learn(fromToolListResponse: node)
            if let cleaned {
                log(.warning, "stdio_tools_dropped") { $0.field("reason", "invalid x-mcp-header"); $0.field("tools", dropped.count) }
                node = cleaned
                bytes = Array(cleaned.serialized.utf8)
            }
        }
        if var filter = call.toolListFilter {
            // No response that names a key twice passes.
            if case .failure(let failure)? = strictParse, node["method"] == nil {
                log(.warning, "stdio_tool_list_unfilterable") { $0.field("bytes", bytes.count) }
                let answer = filter.failureResponse(.unreadable(failure), profile: settings.profileName)
                if !answer.isEmpty { writeLine(Array(answer.utf8)) }
                return
            }
            let filtered = filter.filter(node)
            call.toolListFilter = filter
            if let filtered {
                writeLine(Array(filtered.serialized.utf8))
                return
            }
        }
        writeLine(bytes)
    }

    func callEnded(_ call: BridgeCall, body: ByteBuffer) {
        calls[ObjectIdentifier(call)] = nil
        callFinished(call)
        defer { finishIfIdle() }
        switch call.purpose {
        case .stream:
            serverStreamEnded(call, body: body)
            return
        case .deleteSession:
            return
        case .message(let message):
            guard let head = call.head else { return }
            if call.isSuccess, !head.isEventStream, body.readableBytes > 0 {
                deliver(Array(body.readableBytesView), from: call)
            }
            if call.isSuccess, message.method == "notifications/initialized", settings.opensServerStream {
                openServerStream()
            }
            // A JSON-RPC answer in an error response (a 2026-07-28 server's UnsupportedProtocolVersion,
            // a 400 naming the request) is the upstream's own word: it reaches the client as it is.
            if !call.isSuccess, let answer = JSONNode.parse(body.readableBytesView), let id = answer["id"],
               answer["error"] != nil, call.unansweredIDs.contains(id) {
                deliver(Array(body.readableBytesView), from: call)
            }
            guard !call.unansweredIDs.isEmpty || !call.isSuccess else { return }
            let cause: String
            var data: [(String, JSONNode)] = [("status", .number(String(head.status)))]
            if call.isSuccess {
                cause = head.isEventStream ? "the upstream's event stream ended without a response" : "the upstream answered \(head.status) without a response"
            } else if head.status == 404, call.sentInSession {
                cause = "the upstream session expired (404); restart the MCP client's connection to initialize a new one"
                sessionID = nil
                protocolVersion = nil
            } else {
                cause = "the upstream answered \(head.status)"
            }
            if !call.isSuccess, body.readableBytes > 0 {
                data.append(("body", .string(String(decoding: body.readableBytesView.prefix(512), as: UTF8.self))))
            }
            answerUnanswered(call, cause: cause, data: .object(data))
        }
    }

    func callFailed(_ call: BridgeCall, reason: String) {
        guard calls.removeValue(forKey: ObjectIdentifier(call)) != nil else { return }
        callFinished(call)
        defer { finishIfIdle() }
        switch call.purpose {
        case .stream:
            log(.warning, "stdio_stream_failed") { $0.field("reason", reason) }
            scheduleServerStream()
        case .deleteSession:
            log(.warning, "stdio_session_delete_failed") { $0.field("reason", reason) }
        case .message:
            answerUnanswered(call, cause: reason, data: nil)
        }
    }

    /// An error response, for each request of the call still waiting, naming the profile and
    /// the cause; requests the client cancelled get nothing. Also logged.
    private func answerUnanswered(_ call: BridgeCall, cause: String, data: JSONNode?) {
        let method: String
        if case .message(let message) = call.purpose { method = message.method ?? "response" } else { method = "" }
        log(.warning, "stdio_request_failed") {
            $0.field("method", method)
            $0.field("cause", cause)
            if let status = call.head?.status { $0.field("status", status) }
        }
        for id in call.unansweredIDs where !call.cancelledIDs.contains(id) {
            writeError(id: id, code: -32000, message: "mcp-auth-proxy (profile \(settings.profileName)): \(cause)", data: data)
        }
    }

    /// The bridge closed a call the client cancelled or that shutdown ends: no answer is owed.
    func callClosed(_ call: BridgeCall) {
        guard calls.removeValue(forKey: ObjectIdentifier(call)) != nil else { return }
        callFinished(call)
        finishIfIdle()
    }
}
