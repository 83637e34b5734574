import MCPMessages
import NIOCore
import ProxyLogging

/// What `StdioBridge` does after telling `BridgeStateMachine` about an event: every line on
/// stdout, every upstream exchange started or closed, every timer, log line and the close.
enum BridgeAction {
    /// Write one message to stdout as one line.
    case writeLine([UInt8])
    /// Start the upstream exchange `call` (its events come back tagged with it).
    case startCall(BridgeStateMachine.CallID, BridgeRequest)
    /// Close the upstream exchange `call`: the upstream sees its response stream closed, and the
    /// machine has already forgotten it (no event of it is expected).
    case cancelCall(BridgeStateMachine.CallID)
    /// Shutdown's grace period starts: `graceExpired` once it has passed.
    case scheduleGrace(TimeAmount)
    case cancelGrace
    /// The GET stream is reopened after `delay`: `streamRetryDue` then.
    case scheduleStreamRetry(TimeAmount)
    case cancelStreamRetry
    case log(BridgeLogEntry)
    /// A client message the bridge refused itself (`reason` as the request log names it): the
    /// audit trail records it.
    case refused(ByteBuffer, reason: String)
    /// Close stdout and stdin: the bridge is done; `outputClosed` follows.
    case close
    /// stdout is closed and every exchange is over: `run` may return.
    case reportFinished
}

/// One upstream request of the bridge, as the engine sends it (signing and `Host` are added there).
struct BridgeRequest {
    let method: String
    let headers: [(String, String)]
    let body: ByteBuffer?
}

/// A log line the machine wants written; the shell adds the profile and the time.
struct BridgeLogEntry {
    enum Value {
        case string(String)
        case int(Int)
    }

    let level: LogLevel
    let event: String
    var fields: [(key: StaticString, value: Value)] = []

    init(_ level: LogLevel, _ event: String, _ fields: [(key: StaticString, value: Value)] = []) {
        self.level = level
        self.event = event
        self.fields = fields
    }
}

/// The part of an upstream response head the machine acts on.
struct BridgeResponseHead: Equatable {
    let status: Int
    let isEventStream: Bool
    let sessionID: String?

    var isSuccess: Bool { (200..<300).contains(status) }
}
