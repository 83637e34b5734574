import MCPMessages
import ProxyDataPlane
import NIOCore

/// The GET stream on which the upstream sends messages of its own (requests such as sampling or
/// elicitation, and notifications). Opened once the session is initialized; an upstream that
/// answers 405 has none and is not asked again; a dropped stream is reopened with backoff and
/// `Last-Event-ID`, so the upstream can replay what was missed.
struct ServerStream {
    enum State {
        case closed
        case open(BridgeCall)
        case waiting(Scheduled<Void>)
        /// 405, 404 or shutdown: never (re)opened.
        case refused
    }

    static let initialBackoff = TimeAmount.milliseconds(250)
    static let maximumBackoff = TimeAmount.seconds(30)

    var state = State.closed
    var lastEventID: String?
    var backoff = initialBackoff
}

extension StdioBridge {
    func openServerStream() {
        guard !isFinishing, sessionID != nil || protocolVersion != nil else { return }
        switch server.state {
        case .closed, .waiting: break
        case .open, .refused: return
        }
        var headers = [("accept", "text/event-stream")] + sessionHeaders
        if let lastEventID = server.lastEventID { headers.append(("last-event-id", lastEventID)) }
        let call = BridgeCall(purpose: .stream, bridge: self, maximumMessageBytes: settings.maximumMessageBytes)
        call.toolListFilter = runtime.profile.toolPolicy.map { ToolListFilter.replayedResponses(policy: $0) }
        server.state = .open(call)
        start(call, method: "GET", headers: headers, body: nil)
    }

    func serverStreamEnded(_ call: BridgeCall, body: ByteBuffer) {
        guard let status = call.head?.status else { return scheduleServerStream() }
        switch status {
        case 405:
            log(.info, "stdio_no_server_stream") { $0.field("status", status) }
            server.state = .refused
        case 404, 400, 401, 403:
            log(.warning, "stdio_server_stream_refused") { $0.field("status", status) }
            server.state = .refused
        default:
            scheduleServerStream()
        }
    }

    /// Reopens the stream after the current backoff, doubling it up to 30 s.
    func scheduleServerStream() {
        guard !isFinishing, let context else { return }
        if case .refused = server.state { return }
        let delay = server.backoff
        server.backoff = min(ServerStream.maximumBackoff, server.backoff * 2)
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
            self?.openServerStream()
        }
        server.state = .waiting(scheduled)
    }

    func stopServerStream() {
        switch server.state {
        case .open(let call):
            calls[ObjectIdentifier(call)] = nil
            call.upstream?.cancel()
        case .waiting(let scheduled):
            scheduled.cancel()
        case .closed, .refused:
            break
        }
        server.state = .refused
    }
}
