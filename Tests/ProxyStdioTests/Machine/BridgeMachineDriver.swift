@testable import MCPMessages
import NIOCore
import ProxyConfig
@testable import ProxyStdio

/// (Each machine is returned only after its last event: a tuple would copy it before.)
/// Puts a `BridgeStateMachine` into each state the table names, with one request (id 7) in
/// flight where the state allows one, and renders what an event does as a short string:
/// the actions in order, then the state the machine is in afterwards.
enum BridgeMachineDriver {
    typealias Machine = BridgeStateMachine

    enum State: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
        case sessionless, initializing, established, finishing, deleting, closing, finished
        var description: String { rawValue }
    }

    enum Event: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
        /// stdin: a request, a notification, a 2025-style cancellation of request 7, a line that
        /// is not JSON, a line over the limit.
        case request, notification, cancel, notJSON, tooLong
        /// The call in flight: its head; a JSON answer; an event-stream answer; a 500; a 404;
        /// a failure; the end of a call the machine does not know.
        case head, answer, streamAnswer, upstreamError, expired, failed, stale
        case inputClosed, stopRequested, graceExpired, streamRetryDue, outputClosed
        var description: String { rawValue }
    }

    static let configuration = Machine.Configuration(
        profileName: "p", grace: .seconds(5), maximumRequestBytes: 1024, maximumConnections: 4,
        opensServerStream: false, toolPolicy: nil)

    static func line(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static let toolCall = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}"#
    static let initialize = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
    static let json = BridgeResponseHead(status: 200, isEventStream: false, sessionID: nil)
    static let stream = BridgeResponseHead(status: 200, isEventStream: true, sessionID: nil)

    /// The id of the call in flight in each state (the DELETE while deleting).
    static func machine(in state: State) -> (Machine, Machine.CallID) {
        var machine = Machine(configuration: configuration)
        switch state {
        case .sessionless:
            let call = startedCall(machine.lineReceived(line(toolCall)))
            return (machine, call)
        case .initializing:
            let initialize = startedCall(machine.lineReceived(line(Self.initialize)))
            _ = machine.callHead(initialize, BridgeResponseHead(status: 200, isEventStream: false, sessionID: "s1"))
            let call = startedCall(machine.lineReceived(line(toolCall)))
            return (machine, call)
        case .established:
            establish(&machine)
            let call = startedCall(machine.lineReceived(line(toolCall)))
            return (machine, call)
        case .finishing:
            establish(&machine)
            let call = startedCall(machine.lineReceived(line(toolCall)))
            _ = machine.stopRequested()
            return (machine, call)
        case .deleting:
            establish(&machine)
            let delete = startedCall(machine.stopRequested())
            return (machine, delete)
        case .closing:
            _ = machine.stopRequested()
            return (machine, Machine.CallID(number: 99))
        case .finished:
            _ = machine.stopRequested()
            _ = machine.outputClosed()
            return (machine, Machine.CallID(number: 99))
        }
    }

    /// initialize answered with a session id and a version.
    static func establish(_ machine: inout Machine) {
        let call = startedCall(machine.lineReceived(line(initialize)))
        _ = machine.callHead(call, BridgeResponseHead(status: 200, isEventStream: false, sessionID: "s1"))
        _ = machine.callEnded(call, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}"#))
    }

    static func startedCall(_ actions: [BridgeAction]) -> Machine.CallID {
        for case .startCall(let id, _) in actions { return id }
        preconditionFailure("no call started: \(render(actions))")
    }

    static func apply(_ event: Event, to machine: inout Machine, call: Machine.CallID) -> String {
        let answer = #"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#
        var actions: [BridgeAction]
        switch event {
        case .request: actions = machine.lineReceived(line(#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#))
        case .notification: actions = machine.lineReceived(line(#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#))
        case .cancel: actions = machine.lineReceived(line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#))
        case .notJSON: actions = machine.lineReceived(line("{nope"))
        case .tooLong: actions = machine.lineTooLong(start: Array(#"{"jsonrpc":"2.0","id":8,"method":"x","params":"#.utf8))
        case .head: actions = machine.callHead(call, json)
        case .answer:
            actions = machine.callHead(call, json)
            actions += machine.callEnded(call, body: ByteBuffer(string: answer))
        case .streamAnswer:
            actions = machine.callHead(call, stream)
            actions += machine.callEvent(call, EventStreamDecoder.Event(data: answer, id: "e1"))
            actions += machine.callEnded(call, body: ByteBuffer())
        case .upstreamError:
            actions = machine.callHead(call, BridgeResponseHead(status: 500, isEventStream: false, sessionID: nil))
            actions += machine.callEnded(call, body: ByteBuffer(string: "oops"))
        case .expired:
            actions = machine.callHead(call, BridgeResponseHead(status: 404, isEventStream: false, sessionID: nil))
            actions += machine.callEnded(call, body: ByteBuffer())
        case .failed: actions = machine.callFailed(call, reason: "connection refused")
        case .stale: actions = machine.callEnded(Machine.CallID(number: 1000), body: ByteBuffer())
        case .inputClosed: actions = machine.inputClosed()
        case .stopRequested: actions = machine.stopRequested()
        case .graceExpired: actions = machine.graceExpired()
        case .streamRetryDue: actions = machine.streamRetryDue()
        case .outputClosed: actions = machine.outputClosed()
        }
        return render(actions) + " → " + describe(machine)
    }

    static func describe(_ machine: Machine) -> String {
        switch machine.phase {
        case .serving:
            switch machine.session {
            case .sessionless?: "sessionless"
            case .initializing?: "initializing"
            case .established?: "established"
            case nil: "serving"
            }
        case .finishing: "finishing"
        case .deleting: "deleting"
        case .closing: "closing"
        case .finished: "finished"
        }
    }

    /// `write 7` (a message for id 7), `error -32000` (an error response), `start POST`,
    /// `cancel`, `grace`/`-grace`, `retry`/`-retry`, `log event`, `refused reason`, `close`, `finished`.
    static func render(_ actions: [BridgeAction]) -> String {
        guard !actions.isEmpty else { return "none" }
        return actions.map { action -> String in
            switch action {
            case .writeLine(let bytes):
                let node = JSONNode.parse(bytes)
                if let code = node?["error"]?["code"] { return "error \(code.serialized)" }
                return "write \(node?["id"]?.serialized ?? "-")"
            case .startCall(_, let request): return "start \(request.method)"
            case .cancelCall: return "cancel"
            case .scheduleGrace: return "grace"
            case .cancelGrace: return "-grace"
            case .scheduleStreamRetry: return "retry"
            case .cancelStreamRetry: return "-retry"
            case .log(let entry): return "log \(entry.event)"
            case .refused(_, let reason): return "refused \(reason)"
            case .close: return "close"
            case .reportFinished: return "finished"
            }
        }.joined(separator: ", ")
    }
}
