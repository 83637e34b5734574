@testable import MCPMessages
import NIOCore
import ProxyConfig
@testable import ProxyStdio
import Testing

/// The bridge machine's behaviours one at a time, in sequences of events (no sockets); the
/// table test covers each event in each state, the CLI tests what crosses processes.
@Suite("stdio bridge state machine: behaviours")
struct BridgeStateMachineTests {
    typealias D = BridgeMachineDriver
    typealias Machine = BridgeStateMachine

    static func machine(connections: Int = 4, stream: Bool = false, policy: ToolPolicy? = nil) -> Machine {
        var configuration = D.configuration
        configuration.maximumConnections = connections
        configuration.opensServerStream = stream
        configuration.toolPolicy = policy
        return Machine(configuration: configuration)
    }

    static func request(_ id: Int, _ method: String = "ping", revision: String? = nil) -> ByteBuffer {
        let meta = revision.map { #","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"\#($0)"}}"# } ?? ""
        return D.line(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"\#(meta)}"#)
    }

    static func cancellation(of id: Int, revision: String? = nil) -> ByteBuffer {
        let meta = revision.map { #","_meta":{"io.modelcontextprotocol/protocolVersion":"\#($0)"}"# } ?? ""
        return D.line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":\#(id)\#(meta)}}"#)
    }

    static func started(_ actions: [BridgeAction]) -> [(Machine.CallID, BridgeRequest)] {
        actions.compactMap { if case .startCall(let id, let request) = $0 { (id, request) } else { nil } }
    }

    static func header(_ name: String, in request: BridgeRequest) -> String? {
        request.headers.first { $0.0 == name }?.1
    }

    @Test("a cancelled request answered anyway leaves no id behind; a later request with its id gets its error")
    func cancelledIDsGoWithTheirCall() throws {
        var m = Self.machine()
        let first = try #require(Self.started(m.lineReceived(Self.request(7))).first).0
        let forwarded = m.lineReceived(Self.cancellation(of: 7))
        #expect(Self.started(forwarded).count == 1, "a 2025-era cancellation is forwarded")
        #expect(m.cancelledIDCount == 1)
        _ = m.callHead(first, D.json)
        #expect(D.render(m.callEnded(first, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":7,"result":{}}"#))) == "write 7")
        #expect(m.cancelledIDCount == 0)
        let again = try #require(Self.started(m.lineReceived(Self.request(7))).first).0
        #expect(D.render(m.callFailed(again, reason: "connection refused")) == "log stdio_request_failed, error -32000")
        #expect(m.callCount == 1, "only the forwarded cancellation's own call is left")
    }

    @Test("a cancelled request that ends unanswered gets no error")
    func cancelledAndUnanswered() throws {
        var m = Self.machine()
        let call = try #require(Self.started(m.lineReceived(Self.request(7))).first).0
        _ = m.lineReceived(Self.cancellation(of: 7))
        #expect(D.render(m.callFailed(call, reason: "gone")) == "log stdio_request_failed")
        #expect(m.cancelledIDCount == 0)
    }

    @Test("a 2026-07-28 cancellation closes the exchange and is not forwarded; the client gets nothing more")
    func modernCancellation() throws {
        var m = Self.machine()
        let call = try #require(Self.started(m.lineReceived(Self.request(7, revision: "2026-07-28"))).first).0
        #expect(D.render(m.lineReceived(Self.cancellation(of: 7, revision: "2026-07-28"))) == "log stdio_request_cancelled, cancel")
        #expect(m.callCount == 0)
        #expect(D.render(m.callEnded(call, body: ByteBuffer())) == "none", "a late end of the closed call is ignored")
        #expect(D.render(m.lineReceived(Self.cancellation(of: 7, revision: "2026-07-28"))) == "none", "nothing is in flight: dropped")
    }

    @Test("requests beyond max_upstream_connections wait in order; a queued one cancelled is never sent")
    func queueing() throws {
        var m = Self.machine(connections: 1)
        let first = try #require(Self.started(m.lineReceived(Self.request(1))).first).0
        #expect(D.render(m.lineReceived(Self.request(2))) == "none")
        #expect(D.render(m.lineReceived(Self.request(3))) == "none")
        #expect(Self.started(m.lineReceived(D.line(#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#))).count == 1,
                "a notification holds no slot")
        #expect(D.render(m.lineReceived(Self.cancellation(of: 2))) == "log stdio_request_cancelled_before_sending")
        _ = m.callHead(first, D.json)
        let next = Self.started(m.callEnded(first, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"result":{}}"#)))
        #expect(next.count == 1)
        #expect(next.first.flatMap { String(buffer: $0.1.body ?? ByteBuffer()) }?.contains(#""id":3"#) == true)
    }

    @Test("initialize opens the session: later requests carry its id and version; a 404 in it ends it")
    func sessionHeaders() throws {
        var m = Self.machine()
        D.establish(&m)
        #expect(m.session == .established(sessionID: "s1", version: "2025-11-25"))
        let (call, request) = try #require(Self.started(m.lineReceived(Self.request(5))).first)
        #expect(Self.header("mcp-session-id", in: request) == "s1")
        #expect(Self.header("mcp-protocol-version", in: request) == "2025-11-25")
        #expect(Self.header("mcp-method", in: request) == "ping")
        _ = m.callHead(call, BridgeResponseHead(status: 404, isEventStream: false, sessionID: nil))
        let actions = m.callEnded(call, body: ByteBuffer())
        guard case .writeLine(let bytes)? = actions.last else { Issue.record("no error written"); return }
        #expect(String(decoding: bytes, as: UTF8.self).contains("session expired"))
        #expect(m.session == .sessionless)
    }

    @Test("a message naming 2026-07-28 goes with that version and never with the session")
    func modernHeaders() throws {
        var m = Self.machine()
        D.establish(&m)
        let (_, request) = try #require(Self.started(m.lineReceived(Self.request(5, "server/discover", revision: "2026-07-28"))).first)
        #expect(Self.header("mcp-session-id", in: request) == nil)
        #expect(Self.header("mcp-protocol-version", in: request) == "2026-07-28")
        #expect(Self.header("mcp-method", in: request) == "server/discover")
    }

    @Test("the GET stream opens after notifications/initialized, reopens with backoff and Last-Event-ID, and not after 405")
    func serverStream() throws {
        var m = Self.machine(stream: true)
        D.establish(&m)
        let note = try #require(Self.started(m.lineReceived(D.line(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#))).first).0
        _ = m.callHead(note, BridgeResponseHead(status: 202, isEventStream: false, sessionID: nil))
        let (stream, get) = try #require(Self.started(m.callEnded(note, body: ByteBuffer())).first)
        #expect(get.method == "GET" && Self.header("mcp-session-id", in: get) == "s1")
        _ = m.callHead(stream, D.stream)
        #expect(D.render(m.callEvent(stream, EventStreamDecoder.Event(data: #"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#, id: "41"))) == "write -")
        #expect(D.render(m.callEnded(stream, body: ByteBuffer())) == "retry")
        let (again, reopened) = try #require(Self.started(m.streamRetryDue()).first)
        #expect(Self.header("last-event-id", in: reopened) == "41")
        #expect(D.render(m.callFailed(again, reason: "reset")) == "log stdio_stream_failed, retry")
        let third = try #require(Self.started(m.streamRetryDue()).first).0
        _ = m.callHead(third, BridgeResponseHead(status: 405, isEventStream: false, sessionID: nil))
        #expect(D.render(m.callEnded(third, body: ByteBuffer())) == "log stdio_no_server_stream")
        #expect(D.render(m.streamRetryDue()) == "none")
    }

    @Test("shutdown: new requests refused, the grace period's end answers what runs, then DELETE, then close")
    func shutdown() throws {
        var m = Self.machine()
        D.establish(&m)
        _ = m.lineReceived(Self.request(5))
        #expect(D.render(m.stopRequested()) == "grace")
        #expect(D.render(m.lineReceived(Self.request(6))) == "error -32000")
        let actions = m.graceExpired()
        #expect(D.render(actions) == "cancel, log stdio_request_failed, error -32000, start DELETE")
        let delete = try #require(Self.started(actions).first)
        #expect(Self.header("mcp-session-id", in: delete.1) == "s1")
        #expect(D.render(m.callEnded(delete.0, body: ByteBuffer())) == "-grace, log stdio_stopped, close")
        #expect(D.render(m.outputClosed()) == "finished")
    }

    @Test("a subscriptions/listen stream holds no slot and is closed at shutdown")
    func listenStream() throws {
        var m = Self.machine(connections: 1)
        let listen = try #require(Self.started(m.lineReceived(Self.request(1, "subscriptions/listen", revision: "2026-07-28"))).first).0
        _ = m.callHead(listen, D.stream)
        #expect(Self.started(m.lineReceived(Self.request(2))).count == 1, "the one slot is still free")
        #expect(D.render(m.stopRequested()) == "grace, cancel")
        #expect(m.callCount == 1)
    }

    @Test("the tool policy refuses a call without sending it, and filters a listed tool")
    func toolPolicy() throws {
        var m = Self.machine(policy: ToolPolicy(allow: nil, deny: ["*delete*"]))
        let refused = m.lineReceived(D.line(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"repo_delete","arguments":{}}}"#))
        #expect(D.render(refused) == "log stdio_tool_refused, refused tool_policy, error -32602")
        let list = try #require(Self.started(m.lineReceived(Self.request(4, "tools/list"))).first).0
        _ = m.callHead(list, D.json)
        let actions = m.callEnded(list, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":4,"result":{"tools":[{"name":"repo_delete","inputSchema":{}},{"name":"search","inputSchema":{}}]}}"#))
        guard case .writeLine(let bytes)? = actions.first else { Issue.record("no list written"); return }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("search") && !text.contains("repo_delete"))
    }

    @Test("stdout closing ends every exchange and reports the bridge finished")
    func outputGone() throws {
        var m = Self.machine()
        _ = m.lineReceived(Self.request(1))
        _ = m.lineReceived(Self.request(2))
        #expect(D.render(m.outputClosed()) == "cancel, cancel, finished")
        #expect(m.phase == .finished)
    }
}
