import MCPMessages
import NIOCore
import ProxyDataPlane
import ProxyLogging

/// The stdio side of `mcp-auth-proxy stdio`: reads MCP messages from stdin one line at a time,
/// sends each as its own signed POST (so a slow call never holds back another), and writes every
/// message that comes back to stdout as one line. It owns the MCP session the upstream assigns.
///
/// Runs on one event loop; every upstream exchange is an `UpstreamCall` through the same engine,
/// pool and signer as the listeners. No task per message: calls are callbacks on the loop.
final class StdioBridge: ChannelInboundHandler {
    typealias InboundIn = LineFramer.Frame
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var profileName: String
        /// How long in-flight requests may take to finish after stdin ends or a signal.
        var grace: TimeAmount
        /// The largest message accepted from the client (`max_request_body`).
        var maximumRequestBytes: Int
        /// The largest message accepted from the upstream.
        var maximumMessageBytes = 64 << 20
        /// Whether to open the GET stream for server-initiated messages after initialization.
        var opensServerStream: Bool
    }

    let runtime: ProfileRuntime
    /// What each upstream exchange is signed with, taken once.
    let credentials: UpstreamCredentials
    let engine: ForwardingEngine
    let log: LogSink
    let settings: Settings
    let finished: EventLoopPromise<Void>
    var context: ChannelHandlerContext?

    // The session the upstream assigned, and what initialize negotiated.
    var sessionID: String?
    var protocolVersion: String?
    var initializeID: JSONNode?

    var calls: [ObjectIdentifier: BridgeCall] = [:]
    /// Requests in flight that hold a connection slot, and those waiting for one, in order.
    var requestsInFlight = 0
    var queued: [(call: BridgeCall, body: ByteBuffer)] = []
    /// The `x-mcp-header` annotations of the tools that 2026-07-28 `tools/list` results named.
    var toolHeaders = ToolHeaderAnnotations()
    var server = ServerStream()
    var isFinishing = false
    var graceTimer: Scheduled<Void>?

    init(runtime: ProfileRuntime, engine: ForwardingEngine, log: LogSink, settings: Settings, finished: EventLoopPromise<Void>) {
        self.runtime = runtime
        credentials = runtime.upstreamCredentials
        self.engine = engine
        self.log = log
        self.settings = settings
        self.finished = finished
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: stdin

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .tooLong(let start):
            writeError(id: OversizedMessage.id(in: start) ?? .null, code: -32600, message: "message over max_request_body (\(settings.maximumRequestBytes) bytes) of profile \(settings.profileName)")
        case .line(let line):
            guard line.readableBytesView.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { return }
            received(line)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            log(.info, "stdio_input_closed")
            finish()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // stdout is gone (the client exited): nothing more can be delivered.
        for call in calls.values { call.upstream?.cancel() }
        calls.removeAll()
        finished.succeed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log(.warning, "stdio_error") { $0.field("error", "\(error)") }
        context.close(promise: nil)
    }

    private func received(_ line: ByteBuffer) {
        // With a tool policy the line is parsed strictly (a key named twice makes it ambiguous);
        // only when that fails is it parsed again, to tell duplicates from a line that is not JSON.
        let policy = runtime.profile.toolPolicy
        let strict = policy == nil ? nil : JSONNode.parse(line.readableBytesView, rejectingDuplicateKeys: true)
        guard let node = strict ?? JSONNode.parse(line.readableBytesView) else {
            writeError(id: .null, code: -32700, message: "parse error: the line is not JSON")
            return
        }
        let message: ClientMessage
        switch ClientMessage.classify(node) {
        case .failure(let problem):
            writeError(id: node["id"] ?? .null, code: problem == .parseError ? -32700 : -32600, message: "invalid request: not a JSON-RPC 2.0 message")
            return
        case .success(let classified):
            message = classified
        }
        if isFinishing, case .request(let id) = message.kind {
            writeError(id: id, code: -32000, message: "mcp-auth-proxy (profile \(settings.profileName)) is shutting down")
            return
        }
        // The profile's tool policy holds on this path too: a refused call never goes upstream.
        if let policy {
            guard strict != nil else {
                writeError(id: node["id"] ?? .null, code: -32600, message: "refused by the tool policy of profile \(settings.profileName): the message names a key twice")
                return
            }
            if let refusal = ToolCallCheck.refusal(in: node, policy: policy) {
                log(.warning, "stdio_tool_refused") { $0.field("refused_tool", refusal.tool) }
                let response = refusal.response(profile: settings.profileName)
                if !response.isEmpty { writeLine(Array(response.utf8)) }
                return
            }
        }
        if let cancelled = message.cancelledRequestID, cancel(requestID: cancelled, by: message) { return }
        if message.method == "initialize", case .request(let id) = message.kind { initializeID = id }
        let call = BridgeCall(purpose: .message(message), bridge: self, maximumMessageBytes: settings.maximumMessageBytes)
        call.toolListFilter = policy.flatMap { ToolListFilter(request: node, policy: $0) }
        if message.declaredRevision != nil, message.method == "tools/call", let tool = message.name {
            call.paramHeaders = ParamHeaders.headers(for: toolHeaders.byTool[tool] ?? [], arguments: node["params"]?["arguments"])
        }
        submit(call, body: line)
    }

    /// A client's `notifications/cancelled`; true when it is handled here and not forwarded.
    /// A request still queued is never sent. A 2026-07-28 request in flight is cancelled the way
    /// that revision cancels over HTTP, by closing its exchange; so is the notification for one
    /// already answered (the upstream has nothing to cancel). A 2025-era one is forwarded, and
    /// its request's end without an answer is then expected, not an error.
    private func cancel(requestID id: JSONNode, by notification: ClientMessage) -> Bool {
        if dropQueued(requestID: id) { return true }
        guard let call = calls.values.first(where: { $0.unansweredIDs.contains(id) }) else {
            return notification.declaredRevision != nil
        }
        call.cancelledIDs.append(id)
        guard call.revision != nil else { return false }
        log(.info, "stdio_request_cancelled") { $0.field("method", call.method ?? "") }
        call.close()
        return true
    }

    /// A request waits while `max_upstream_connections` requests are in flight (each holds an
    /// upstream connection); it is one of `calls` meanwhile, so shutdown and its grace cover it.
    private func submit(_ call: BridgeCall, body: ByteBuffer) {
        calls[ObjectIdentifier(call)] = call
        if call.holdsConnectionSlot, requestsInFlight >= runtime.profile.maxUpstreamConnections {
            queued.append((call, body))
            return
        }
        send(call, body: body)
    }

    /// POSTs a client message, with the session's headers as they are now (a queued request
    /// learns the session that `initialize` opened while it waited).
    private func send(_ call: BridgeCall, body: ByteBuffer) {
        guard case .message(let message) = call.purpose else { return }
        if call.holdsConnectionSlot { requestsInFlight += 1 }
        call.wasSent = true
        var headers = [("accept", "application/json, text/event-stream"), ("content-type", "application/json")]
        // A message that names its revision is self-contained: that version, no session.
        if let revision = message.declaredRevision {
            headers.append(("mcp-protocol-version", HeaderValueEncoding.encode(revision)))
        } else {
            headers += sessionHeaders
        }
        if let method = message.method { headers.append(("mcp-method", HeaderValueEncoding.encode(method))) }
        if let name = message.name { headers.append(("mcp-name", HeaderValueEncoding.encode(name))) }
        headers += call.paramHeaders
        start(call, method: "POST", headers: headers, body: body)
    }

    /// Removes the queued request `id` (not yet sent); false when no queued request has it.
    private func dropQueued(requestID id: JSONNode) -> Bool {
        guard let index = queued.firstIndex(where: { $0.call.requestIDs == [id] }) else { return false }
        let call = queued.remove(at: index).call
        calls[ObjectIdentifier(call)] = nil
        log(.info, "stdio_request_cancelled_before_sending")
        finishIfIdle()
        return true
    }

    /// A call is over: its slot goes to the next queued request still wanted.
    func callFinished(_ call: BridgeCall) {
        guard call.holdsConnectionSlot, call.wasSent else { return }
        requestsInFlight -= 1
        while requestsInFlight < runtime.profile.maxUpstreamConnections, !queued.isEmpty {
            let (next, body) = queued.removeFirst()
            if calls[ObjectIdentifier(next)] != nil { send(next, body: body) }
        }
    }

    var sessionHeaders: [(String, String)] {
        var headers: [(String, String)] = []
        if let sessionID { headers.append(("mcp-session-id", sessionID)) }
        if let protocolVersion { headers.append(("mcp-protocol-version", protocolVersion)) }
        return headers
    }

    func start(_ call: BridgeCall, method: String, headers: [(String, String)], body: ByteBuffer?) {
        guard let context else { return }
        calls[ObjectIdentifier(call)] = call
        // A message that names its revision went without the session, whatever the bridge holds.
        call.sentInSession = sessionID != nil && call.revision == nil
        call.upstream = UpstreamCall(method: method, headers: headers, body: body, credentials: credentials, engine: engine,
                                     eventLoop: context.eventLoop, delegate: call)
        if !context.channel.isWritable { call.upstream?.setReading(false) }
    }

    // MARK: stdout

    /// Backpressure: while stdout is not drained, no upstream is read.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        for call in calls.values { call.upstream?.setReading(writable) }
        context.fireChannelWritabilityChanged()
    }

    /// Writes one message as one line. JSON allows CR and LF only as whitespace between tokens,
    /// so turning them into spaces keeps the message intact and the framing whole.
    func writeLine(_ bytes: some Collection<UInt8>) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeBytes(bytes.lazy.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
        buffer.writeInteger(UInt8(0x0A))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func writeError(id: JSONNode, code: Int, message: String, data: JSONNode? = nil) {
        var error: [(String, JSONNode)] = [("code", .number(String(code))), ("message", .string(message))]
        if let data { error.append(("data", data)) }
        let response = JSONNode.object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object(error))])
        writeLine(Array(response.serialized.utf8))
    }

    // MARK: Shutdown

    /// stdin ended or a signal arrived: no new requests; in-flight ones get `grace` to finish;
    /// then the session is deleted and the bridge stops.
    func finish() {
        guard !isFinishing, let context else { return }
        isFinishing = true
        stopServerStream()
        graceTimer = context.eventLoop.assumeIsolated().scheduleTask(in: settings.grace) { [weak self] in
            guard let self else { return }
            for call in self.calls.values where !call.isDeletion { call.stop(reason: "the bridge is shutting down and the grace period ended") }
        }
        // A subscription stream lasts until closed: the bridge closes it, nothing is lost. Closed
        // after the grace timer exists, since closing the last call stops the bridge (and that
        // cancels the timer).
        for call in calls.values where call.method == "subscriptions/listen" { call.close() }
        finishIfIdle()
    }

    func finishIfIdle() {
        guard isFinishing, let context, calls.values.allSatisfy({ if case .stream = $0.purpose { true } else { false } }) else { return }
        if let sessionID {
            self.sessionID = nil
            var headers = [("mcp-session-id", sessionID)]
            if let protocolVersion { headers.append(("mcp-protocol-version", protocolVersion)) }
            start(BridgeCall(purpose: .deleteSession, bridge: self, maximumMessageBytes: 4096), method: "DELETE", headers: headers, body: nil)
            return
        }
        graceTimer?.cancel()
        log(.info, "stdio_stopped")
        context.close(promise: nil)
    }

    func log(_ level: LogLevel, _ event: String, _ fields: (inout LogLine) -> Void = { _ in }) {
        guard log.isEnabled(level) else { return }
        var line = LogLine(level: level, event: event)
        line.field("profile", settings.profileName)
        fields(&line)
        log.emit(line)
    }
}

extension BridgeCall {
    var isDeletion: Bool {
        if case .deleteSession = purpose { return true }
        return false
    }
}
