import NIOCore
import Testing
@testable import MCPMessages
@testable import ProxyDataPlane

/// Sequences through `ClientConnectionStateMachine`: keep-alive, pipelining, limits and time,
/// backpressure, lingering and the local heartbeat. No sockets; time is passed in.
@Suite("Client connection state machine: sequences")
struct ClientConnectionStateMachineTests {
    typealias D = MachineDriver

    private func forwardPing(_ m: inout ClientConnectionStateMachine, head: RequestHead = D.postHead) -> String {
        _ = m.requestHead(head, verdict: D.forward, now: D.start)
        _ = m.requestBody(ByteBuffer(string: D.ping))
        return D.name(m.requestEnd(servesHeartbeat: false, now: D.start))
    }

    @Test("keep-alive requests reuse the one exchange value, numbered, with nothing carried over")
    func keepAliveReuse() {
        var m = D.machine()
        #expect(forwardPing(&m) == "forward POST /up/mcp")
        #expect(m.exchange.rpcMethod == "ping")
        #expect(D.name(m.upstreamResponseHead(D.responseHead("HTTP/1.1 500 Oops\ncontent-length: 4\n"), now: D.start)) == "head 500 asUpstream")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: "oops"))) == "body asUpstream")
        #expect(D.name(m.upstreamResponseEnd()) == "finish asUpstream, log request → next")
        #expect(m.exchange.number == 1 && m.exchange.status == 500 && m.exchange.bytesOut == 4)
        #expect(m.exchange.errorSnippet.map { String(buffer: $0) } == "oops")
        #expect(m.wantsRequestParts)

        _ = m.requestHead(D.getHead, verdict: D.forward, now: D.start + .seconds(1))
        #expect(m.exchange.number == 2)
        #expect(m.exchange.status == 0 && m.exchange.bytesOut == 0 && m.exchange.rpcMethod == nil && m.exchange.errorSnippet == nil)
        #expect(m.exchange.startedAt == D.start + .seconds(1))
    }

    @Test("a pipelined request waits while a response is pending")
    func pipelining() {
        var m = D.machine()
        _ = forwardPing(&m)
        #expect(!m.wantsRequestParts, "awaiting the upstream")
        #expect(D.name(m.inputBuffered(D.limits.lingeringByteLimit)) == "pauseClient")
        #expect(D.name(m.inputBuffered(D.limits.lingeringByteLimit)) == "none", "paused once")
        _ = m.upstreamResponseHead(D.plainResponse, now: D.start)
        #expect(!m.wantsRequestParts, "relaying")
        #expect(D.name(m.upstreamResponseEnd()) == "finish asUpstream, log request → next resume")
        #expect(m.wantsRequestParts)
    }

    @Test("Expect: 100-continue is answered only for a request that will be forwarded")
    func expectContinue() {
        let head = D.requestHead("POST /mcp HTTP/1.1\nhost: a\ncontent-length: 10\nexpect: 100-continue\n")
        var forwarded = D.machine()
        #expect(D.name(forwarded.requestHead(head, verdict: D.forward, now: D.start)) == "continue")
        var refused = D.machine()
        #expect(D.name(refused.requestHead(head, verdict: .refuse(.originNotAllowed), now: D.start)) == "none")
        #expect(D.name(refused.requestEnd(servesHeartbeat: false, now: D.start)) == "answer 403 keep, log request → next")
    }

    @Test("refusals that close answer at once; others wait for the body's end")
    func refusals() {
        var closing = D.machine()
        #expect(D.name(closing.requestHead(D.postHead, verdict: .refuse(.badTarget("x")), now: D.start)) == "answer 400, log request → close")
        var waiting = D.machine()
        #expect(D.name(waiting.requestHead(D.postHead, verdict: .refuse(.hostNotAllowed), now: D.start)) == "none")
        #expect(D.name(waiting.requestBody(ByteBuffer(string: D.ping))) == "none")
        #expect(D.name(waiting.requestEnd(servesHeartbeat: false, now: D.start)) == "answer 403 keep, log request → next")
    }

    @Test("a body over max_request_body is answered 413 at once, then the connection lingers")
    func bodyTooLarge() {
        var m = D.machine()
        _ = m.requestHead(D.requestHead("POST /mcp HTTP/1.1\nhost: a\ntransfer-encoding: chunked\n"), verdict: D.forward, now: D.start)
        #expect(D.name(m.requestBody(ByteBuffer(repeating: 0x20, count: 60))) == "none")
        #expect(D.name(m.requestBody(ByteBuffer(repeating: 0x20, count: 60))) == "answer 413, log request → close")
        #expect(m.exchange.status == 413 && m.exchange.answerReason == .bodyTooLarge, "the answer and its reason are recorded; the collected body went with the collecting state")
        #expect(D.name(m.closeRequested(inputPending: true, now: D.start)) == "linger")
        #expect(m.bytesReceived(D.limits.lingeringByteLimit - 10) == .discard)
        #expect(m.bytesReceived(20) == .close, "no more than lingeringByteLimit is read")
    }

    @Test("lingering ends after lingeringTimeout, and a close with nothing unread does not linger")
    func lingeringTimeout() {
        var m = D.machine(in: .closing)
        #expect(D.name(m.closeRequested(inputPending: true, now: D.start)) == "linger")
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.lingeringTimeout)) == "none")
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.lingeringTimeout + .milliseconds(1))) == "close")
        var quiet = D.machine(in: .closing)
        #expect(D.name(quiet.closeRequested(inputPending: false, now: D.start)) == "close")
    }

    @Test("paused client reads resume when the proxy lingers")
    func lingerResumesReads() {
        var m = D.machine()
        _ = forwardPing(&m)
        _ = m.inputBuffered(1 << 20)
        _ = m.quiesce()
        _ = m.upstreamResponseHead(D.plainResponse, now: D.start)
        #expect(D.name(m.upstreamResponseEnd()) == "finish asUpstream, log request → close")
        #expect(D.name(m.closeRequested(inputPending: true, now: D.start)) == "linger resume")
    }

    @Test("the idle bound starts at the first tick after a response, and closes after requestHeadTimeout")
    func idleTimeout() {
        var m = D.machine()
        _ = forwardPing(&m)
        _ = m.upstreamResponseHead(D.plainResponse, now: D.start)
        _ = m.upstreamResponseEnd()
        let tick = D.start + .hours(2)
        #expect(D.name(m.limitsCheckDue(now: tick)) == "none", "starts the idle clock")
        #expect(D.name(m.limitsCheckDue(now: tick + D.limits.requestHeadTimeout)) == "none")
        #expect(D.name(m.limitsCheckDue(now: tick + D.limits.requestHeadTimeout + .milliseconds(1))) == "close")
    }

    @Test("a body that does not arrive within requestBodyTimeout is answered 408")
    func bodyTimeout() {
        var m = D.machine(in: .collecting)
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.requestBodyTimeout)) == "none")
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.requestBodyTimeout + .milliseconds(1))) == "answer 408, log request → close")
    }

    @Test("request_timeout counts from forwarding: 504 before the head, a cut after it")
    func requestTimeout() {
        var waiting = D.machine(in: .awaitingUpstream)
        #expect(D.name(waiting.limitsCheckDue(now: D.start + D.requestTimeout)) == "none")
        #expect(D.name(waiting.limitsCheckDue(now: D.start + D.requestTimeout + .milliseconds(1))) == "answer 504 keep, log request → next")
        #expect(waiting.exchange.failure == .upstream(.timedOut))
        #expect(!waiting.awaitsUpstream(forExchange: waiting.exchange.number), "a late connect sends nothing")
        var relaying = D.machine(in: .relaying)
        #expect(D.name(relaying.limitsCheckDue(now: D.start + D.requestTimeout + .milliseconds(1))) == "cut, log request → close")
    }

    @Test("backpressure: an unwritable client pauses upstream reads, and one that stays so is cut")
    func stalledClient() {
        // An event stream: exempt from request_timeout, so only the stalled-client bound applies.
        var m = D.machine(in: .relayingStream)
        #expect(D.name(m.clientWritabilityChanged(isWritable: false, now: D.start)) == "pauseUpstream")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: "12"))) == "body chunked pause")
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.stalledClientTimeout)) == "none")
        #expect(D.name(m.limitsCheckDue(now: D.start + D.limits.stalledClientTimeout + .milliseconds(1))) == "close")
        #expect(m.exchange.failure == .clientStalled)
        #expect(D.name(m.clientClosed()) == "end, log client_closed → nothing")
        #expect(m.exchange.status == 200, "the status already sent is kept")
        #expect(D.name(m.clientClosed()) == "none", "reported twice (close and removal), ended once")
    }

    @Test("a client gone before its response is logged with status 499")
    func clientGone() {
        var m = D.machine(in: .awaitingUpstream)
        #expect(D.name(m.clientClosed()) == "end, log client_closed → nothing")
        #expect(m.exchange.status == 499)
    }

    @Test("HTTP/1.0 and Connection: close requests close after their response")
    func closeAfterResponse() {
        var old = D.machine()
        _ = forwardPing(&old, head: D.requestHead("POST /mcp HTTP/1.0\nhost: a\ncontent-length: \(D.ping.utf8.count)\n"))
        #expect(D.name(old.upstreamResponseHead(D.responseHead("HTTP/1.1 200 OK\n"), now: D.start)) == "head 200 untilClose close")
        #expect(D.name(old.upstreamResponseEnd()) == "finish untilClose, log request → close")
        var asked = D.machine()
        _ = forwardPing(&asked, head: D.requestHead("POST /mcp HTTP/1.1\nhost: a\nconnection: close\ncontent-length: \(D.ping.utf8.count)\n"))
        #expect(D.name(asked.upstreamResponseHead(D.plainResponse, now: D.start)) == "head 200 asUpstream close")
        #expect(D.name(asked.upstreamResponseEnd()) == "finish asUpstream, log request → close")
    }

    @Test("bodies that are not JSON-RPC are answered 400 and never forwarded")
    func bodyCheck() {
        for (body, expected) in [("{not json", "answer 400 keep, log request → next"), ("[]", "answer 400 keep, log request → next"),
                                 (D.ping, "forward POST /up/mcp")] {
            var m = D.machine()
            _ = m.requestHead(D.requestHead("POST /mcp HTTP/1.1\nhost: a\ncontent-length: \(body.utf8.count)\n"), verdict: D.forward, now: D.start)
            _ = m.requestBody(ByteBuffer(string: body))
            #expect(D.name(m.requestEnd(servesHeartbeat: false, now: D.start)) == expected, "\(body)")
        }
    }

    @Test("a GET refused with 405 in auto mode becomes the heartbeat stream, and the 405 body is dropped")
    func learnsFromRefusedGET() {
        var m = D.machine()
        _ = m.requestHead(D.getHead, verdict: D.forward, now: D.start)
        #expect(D.name(m.requestEnd(servesHeartbeat: false, now: D.start)) == "forward GET /up/mcp")
        #expect(D.name(m.upstreamResponseHead(D.refusedGET, now: D.start)) == "heartbeat chunked learned")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: "no!"))) == "none")
        #expect(D.name(m.upstreamResponseEnd()) == "none")
        #expect(D.name(m.heartbeatDue()) == "beat")
        #expect(m.exchange.status == 200 && m.exchange.upstreamStatus == 405)
        #expect(m.exchange.bytesOut == 2 * ClientConnectionStateMachine.heartbeatComment.utf8.count)

        var relayed = D.machine(learnsFromRefusedGET: false)
        _ = relayed.requestHead(D.getHead, verdict: D.forward, now: D.start)
        _ = relayed.requestEnd(servesHeartbeat: false, now: D.start)
        #expect(D.name(relayed.upstreamResponseHead(D.refusedGET, now: D.start)) == "head 405 asUpstream", "upstream_streaming: on relays the 405")
    }

    @Test("an HTTP/1.0 heartbeat stream is delimited by closing")
    func heartbeatForHTTP10() {
        var m = D.machine()
        _ = m.requestHead(D.requestHead("GET /mcp HTTP/1.0\nhost: a\n"), verdict: D.forward, now: D.start)
        #expect(D.name(m.requestEnd(servesHeartbeat: true, now: D.start)) == "heartbeat untilClose")
        #expect(D.name(m.quiesce()) == "finish untilClose, log stream_closed_for_shutdown → close")
    }

    @Test("shutdown lets a plain response finish, then closes")
    func quiesceDuringResponse() {
        var m = D.machine(in: .relaying)
        #expect(D.name(m.quiesce()) == "none")
        #expect(D.name(m.upstreamResponseEnd()) == "finish asUpstream, log request → close")
    }
}

/// The tool policy's `tools/list` path through the machine: which responses are held, rewritten
/// or refused, and what the exchange records for the log.
@Suite("Client connection state machine: tools/list under a tool policy")
struct ClientExchangeToolListTests {
    typealias D = MachineDriver

    private func forwardList(_ m: inout ClientConnectionStateMachine) -> String {
        _ = m.requestHead(D.toolsListHead, verdict: D.forward, now: D.start)
        _ = m.requestBody(ByteBuffer(string: D.toolsList))
        return D.name(m.requestEnd(servesHeartbeat: false, now: D.start))
    }

    @Test("a JSON list is held until its end, then written with its new length; the connection stays open")
    func rewritten() {
        var m = D.machine(toolPolicy: D.toolPolicy)
        #expect(forwardList(&m) == "forward POST /up/mcp")
        let body = #"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"delete_b"}]}}"#
        #expect(D.name(m.upstreamResponseHead(D.responseHead("HTTP/1.1 200 OK\ncontent-length: \(body.utf8.count)\n"), now: D.start)) == "none")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: String(body.prefix(30))))) == "none")
        #expect(D.name(m.upstreamReadComplete()) == "none", "nothing written yet, nothing to flush")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: String(body.dropFirst(30))))) == "none")
        let filtered = #"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}}"#
        #expect(D.name(m.upstreamResponseEnd()) == "rewritten 200 \(filtered.utf8.count), log request → next")
        #expect(m.exchange.bytesOut == filtered.utf8.count && m.exchange.failure == nil)
    }

    @Test("a list longer than max_request_body is refused at its head when declared, or as it grows")
    func tooLarge() {
        var declared = D.machine(toolPolicy: D.toolPolicy)
        _ = forwardList(&declared)
        let big = D.responseHead("HTTP/1.1 200 OK\ncontent-length: \(D.maxRequestBody + 1)\n")
        #expect(D.name(declared.upstreamResponseHead(big, now: D.start)) == "answer 200 keep, log request → next")
        #expect(declared.exchange.failure == .unfilterableToolList(.tooLarge))

        var growing = D.machine(toolPolicy: D.toolPolicy)
        _ = forwardList(&growing)
        _ = growing.upstreamResponseHead(D.responseHead("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n"), now: D.start)
        #expect(D.name(growing.upstreamResponseBody(ByteBuffer(repeating: UInt8(ascii: " "), count: D.maxRequestBody))) == "none")
        #expect(D.name(growing.upstreamResponseBody(ByteBuffer(string: "{"))) == "answer 200 keep, log request → next")
        #expect(growing.exchange.failure == .unfilterableToolList(.tooLarge))
    }

    @Test("error statuses, bodiless responses and other requests' responses relay as always")
    func untouched() {
        var error = D.machine(toolPolicy: D.toolPolicy)
        _ = forwardList(&error)
        #expect(D.name(error.upstreamResponseHead(D.responseHead("HTTP/1.1 500 Oops\ncontent-length: 4\n"), now: D.start)) == "head 500 asUpstream")
        var ping = D.machine(toolPolicy: D.toolPolicy)
        _ = ping.requestHead(D.postHead, verdict: D.forward, now: D.start)
        _ = ping.requestBody(ByteBuffer(string: D.ping))
        _ = ping.requestEnd(servesHeartbeat: false, now: D.start)
        #expect(ping.awaitedToolListIDs == nil, "no rewrite for a request that does not ask tools/list")
        #expect(D.name(ping.upstreamResponseHead(D.plainResponse, now: D.start)) == "head 200 asUpstream")
    }

    @Test("an event-stream list is re-chunked and relayed event by event")
    func eventStream() {
        var m = D.machine(toolPolicy: D.toolPolicy)
        _ = forwardList(&m)
        #expect(D.name(m.upstreamResponseHead(D.responseHead("HTTP/1.1 200 OK\ncontent-type: text/event-stream\ncontent-length: 500\n"), now: D.start)) == "head 200 chunked stream")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: ": hi\n\ndata: {\"jsonrpc\""))) == "body chunked")
        #expect(D.name(m.upstreamResponseBody(ByteBuffer(string: ":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"delete_x\"}]}}\n\n"))) == "body chunked")
        #expect(m.awaitedToolListIDs?.isEmpty == true)
        #expect(D.name(m.upstreamResponseEnd()) == "finish chunked, log request → next")
    }

    @Test("a copy of a machine filtering a stream shares nothing with the original")
    func copiesAreIndependent() {
        var original = D.machine(toolPolicy: D.toolPolicy)
        _ = forwardList(&original)
        _ = original.upstreamResponseHead(D.streamResponse, now: D.start)
        var copy = original
        #expect(D.name(copy.upstreamResponseBody(ByteBuffer(string: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[]}}\n\n"))) == "body chunked")
        #expect(copy.awaitedToolListIDs?.isEmpty == true, "the copy saw the answer")
        #expect(original.awaitedToolListIDs?.count == 1, "the original still waits for it")
    }
}
