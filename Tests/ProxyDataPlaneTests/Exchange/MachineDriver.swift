import NIOCore
import ProxyConfig
@testable import ProxyDataPlane

/// Builds `ClientConnectionStateMachine`s in every state and names what they return, so the tests
/// read as tables: no socket, no clock, time passed in.
enum MachineDriver {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static let maxRequestBody = 100
    static let requestTimeout = TimeAmount.seconds(10)
    static let limits = ConnectionLimits()

    static func machine(learnsFromRefusedGET: Bool = true, toolPolicy: ToolPolicy? = nil, resendsOnRefusedToken: Bool = false,
                        rateLimiter: RateLimiter? = nil) -> ClientConnectionStateMachine {
        var configuration = ClientConnectionStateMachine.Configuration(
            maxRequestBody: maxRequestBody, limits: limits, requestTimeout: requestTimeout,
            learnsFromRefusedGET: learnsFromRefusedGET, toolPolicy: toolPolicy)
        configuration.resendsOnRefusedToken = resendsOnRefusedToken
        configuration.rateLimiter = rateLimiter
        return ClientConnectionStateMachine(configuration: configuration, now: start)
    }

    static func requestHead(_ text: String) -> RequestHead {
        try! RequestHeadReader.read(ByteBuffer(string: text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"))
    }

    static func responseHead(_ text: String) -> ResponseHead {
        try! ResponseHeadReader.read(ByteBuffer(string: text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"))
    }

    static let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
    static let postHead = requestHead("POST /mcp HTTP/1.1\nhost: 127.0.0.1\ncontent-length: \(ping.utf8.count)\n")
    static let getHead = requestHead("GET /mcp HTTP/1.1\nhost: 127.0.0.1\n")
    static let toolsList = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
    static let toolsListHead = requestHead("POST /mcp HTTP/1.1\nhost: 127.0.0.1\ncontent-length: \(toolsList.utf8.count)\n")
    static let toolPolicy = ToolPolicy(allow: nil, deny: ["*delete*"])
    static let plainResponse = responseHead("HTTP/1.1 200 OK\ncontent-length: 5\n")
    static let streamResponse = responseHead("HTTP/1.1 200 OK\ncontent-type: text/event-stream\ntransfer-encoding: chunked\n")
    static let refusedGET = responseHead("HTTP/1.1 405 Method Not Allowed\ncontent-length: 3\n")
    static let forward = RequestAdmission.Verdict.forward(upstreamTarget: "/up/mcp")

    /// The states a connection can be in, each reached through real events from a fresh machine.
    enum State: String, CaseIterable, Codable, Sendable {
        case idle, collecting, rejecting, awaitingUpstream, relaying, relayingStream
        /// The tool policy's two ways of relaying a `tools/list` response.
        case collectingToolList, relayingFilteredStream
        case heartbeat, heartbeatDraining, closing, lingering, closed
    }

    static func machine(in state: State) -> ClientConnectionStateMachine {
        var m = machine()
        switch state {
        case .idle:
            break
        case .collecting:
            _ = m.requestHead(postHead, verdict: forward, now: start)
        case .rejecting:
            _ = m.requestHead(postHead, verdict: .refuse(.notFound), now: start)
        case .awaitingUpstream:
            _ = m.requestHead(postHead, verdict: forward, now: start)
            _ = m.requestBody(ByteBuffer(string: ping))
            _ = m.requestEnd(servesHeartbeat: false, now: start)
        case .relaying:
            m = machine(in: .awaitingUpstream)
            _ = m.upstreamResponseHead(plainResponse, now: start)
        case .relayingStream:
            _ = m.requestHead(getHead, verdict: forward, now: start)
            _ = m.requestEnd(servesHeartbeat: false, now: start)
            _ = m.upstreamResponseHead(streamResponse, now: start)
        case .collectingToolList, .relayingFilteredStream:
            m = machine(toolPolicy: toolPolicy)
            _ = m.requestHead(toolsListHead, verdict: forward, now: start)
            _ = m.requestBody(ByteBuffer(string: toolsList))
            _ = m.requestEnd(servesHeartbeat: false, now: start)
            _ = m.upstreamResponseHead(state == .collectingToolList ? plainResponse : streamResponse, now: start)
        case .heartbeat:
            _ = m.requestHead(getHead, verdict: forward, now: start)
            _ = m.requestEnd(servesHeartbeat: true, now: start)
        case .heartbeatDraining:
            _ = m.requestHead(getHead, verdict: forward, now: start)
            _ = m.requestEnd(servesHeartbeat: false, now: start)
            _ = m.upstreamResponseHead(refusedGET, now: start)
        case .closing:
            _ = m.requestHead(requestHead("POST /mcp HTTP/1.1\nhost: 127.0.0.1\ncontent-length: 1000\n"), verdict: forward, now: start)
        case .lingering:
            m = machine(in: .closing)
            _ = m.closeRequested(inputPending: true, now: start)
        case .closed:
            _ = m.clientClosed()
        }
        return m
    }

    /// Every event the handler can report.
    enum Event: String, CaseIterable, Codable, Sendable {
        case head, body, end, unreadable, backlog
        case upstreamHead, upstreamBody, readComplete, upstreamEnd, upstreamFailed
        case unwritable, writable, quiesce, clientClosed, closeRequested, heartbeatDue
        case tickSoon, tickLate, bytes
    }

    /// Reports `event` and names the outcome.
    static func apply(_ event: Event, to m: inout ClientConnectionStateMachine) -> String {
        switch event {
        case .head: return name(m.requestHead(getHead, verdict: forward, now: start))
        case .body: return name(m.requestBody(ByteBuffer(string: "abc")))
        case .end: return name(m.requestEnd(servesHeartbeat: false, now: start))
        case .unreadable: return name(m.requestUnreadable(.malformed("bad")))
        case .backlog: return name(m.inputBuffered(100_000))
        case .upstreamHead: return name(m.upstreamResponseHead(plainResponse, now: start))
        case .upstreamBody: return name(m.upstreamResponseBody(ByteBuffer(string: "hello")))
        case .readComplete: return name(m.upstreamReadComplete())
        case .upstreamEnd: return name(m.upstreamResponseEnd())
        case .upstreamFailed: return name(m.upstreamFailed(.closedEarly))
        case .unwritable: return name(m.clientWritabilityChanged(isWritable: false, now: start))
        case .writable: return name(m.clientWritabilityChanged(isWritable: true, now: start))
        case .quiesce: return name(m.quiesce())
        case .clientClosed: return name(m.clientClosed())
        case .closeRequested: return name(m.closeRequested(inputPending: false, now: start))
        case .heartbeatDue: return name(m.heartbeatDue())
        case .tickSoon: return name(m.limitsCheckDue(now: start + .milliseconds(1)))
        case .tickLate: return name(m.limitsCheckDue(now: start + .hours(1)))
        case .bytes: return "input:\(m.bytesReceived(10))"
        }
    }

    /// A short name for an action: what the handler would do, with the facts that matter.
    static func name(_ action: ClientExchangeAction) -> String {
        switch action {
        case .none: return "none"
        case .sendContinue: return "continue"
        case .awaitFreshToken: return "await-fresh-token"
        case .forward(let request): return "forward \(request.head.method) \(request.target)"
        case .writeResponseHead(let head, let framing, let isEventStream, let close):
            return "head \(head.status) \(framing)" + (isEventStream ? " stream" : "") + (close ? " close" : "")
        case .writeBody(_, let framing, let pause): return "body \(framing)" + (pause ? " pause" : "")
        case .flush: return "flush"
        case .pauseUpstreamReads: return "pauseUpstream"
        case .resumeUpstreamReads: return "resumeUpstream"
        case .pauseClientReads: return "pauseClient"
        case .startHeartbeat(let framing, let learned): return "heartbeat \(framing)" + (learned ? " learned" : "")
        case .sendHeartbeat: return "beat"
        case .answer(let answer, let keepAlive, _, let end): return "answer \(answer.status)" + (keepAlive ? " keep" : "") + name(end)
        case .writeRewrittenResponse(let head, let body, let close, let end):
            return "rewritten \(head.status) \(body.readableBytes)" + (close ? " close" : "") + name(end)
        case .finishResponse(let framing, let end): return "finish \(framing)" + name(end)
        case .finishResponseWith(let last, let framing, let end): return "finish \(framing) +\(last.readableBytes)" + name(end)
        case .cutResponse(let end): return "cut" + name(end)
        case .endExchange(let end): return "end" + name(end)
        case .close: return "close"
        case .shutOutputAndLinger(let resume): return "linger" + (resume ? " resume" : "")
        }
    }

    private static func name(_ end: ExchangeEnd) -> String {
        let next: String
        switch end.next {
        case .readNextRequest(let resume): next = resume ? "next resume" : "next"
        case .closeConnection: next = "close"
        case .nothing: next = "nothing"
        }
        return ", log \(end.logEvent?.rawValue ?? "-") → \(next)"
    }
}
