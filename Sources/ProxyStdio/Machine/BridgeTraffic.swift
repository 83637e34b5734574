import MCPMessages
import NIOCore

extension BridgeStateMachine {
    /// Names one upstream exchange between the machine and the shell; never reused.
    struct CallID: Hashable, CustomStringConvertible {
        let number: Int
        var description: String { "call \(number)" }
    }

    /// The MCP session the upstream assigned, as far as it has got. A 2026-07-28 client has none:
    /// its messages name their revision and go out without it.
    enum Session: Equatable {
        case sessionless
        /// `initialize` is out; the upstream may already have named the session in its head.
        case initializing(requestID: JSONNode, sessionID: String?)
        /// The answer to `initialize` named the version every later request carries.
        case established(sessionID: String?, version: String)

        var sessionID: String? {
            switch self {
            case .sessionless: nil
            case .initializing(_, let id), .established(let id, _): id
            }
        }

        /// The headers a session-era message carries.
        var headers: [(String, String)] {
            var headers: [(String, String)] = []
            if let sessionID { headers.append(("mcp-session-id", sessionID)) }
            if case .established(_, let version) = self { headers.append(("mcp-protocol-version", version)) }
            return headers
        }
    }

    /// What one exchange is for and where it stands.
    struct Call {
        enum Purpose {
            case message(ClientMessage)
            /// The GET stream of server-initiated messages.
            case stream
        }

        enum Phase {
            /// Waiting for a connection slot, with the line to send.
            case queued(ByteBuffer)
            /// Sent; `inSession` when it carried `Mcp-Session-Id` (a 404 then means the session is gone).
            case sent(inSession: Bool)
            case responding(BridgeResponseHead, inSession: Bool)
        }

        let purpose: Purpose
        var phase: Phase
        /// The tool policy's filter when the call may bring a tool list.
        var toolListFilter: ToolListFilter?
        /// The `Mcp-Param-*` headers of a 2026-07-28 `tools/call`.
        var paramHeaders: [(String, String)] = []
        /// Request ids of the call that got their response on stdout.
        var answered: [JSONNode] = []
        /// Request ids the client cancelled: their end without an answer is expected. They belong
        /// to the call and go away with it, so they are bounded by what is in flight.
        var cancelled: [JSONNode] = []

        var message: ClientMessage? {
            if case .message(let message) = purpose { message } else { nil }
        }

        var method: String? { message?.method }

        /// The revision the message named for itself (2026-07-28 and later), nil in a session.
        var revision: String? { message?.declaredRevision }

        var requestIDs: [JSONNode] {
            switch message?.kind {
            case .request(let id)?: [id]
            case .batch(let ids)?: ids
            case .notification?, .response?, nil: []
            }
        }

        var unansweredIDs: [JSONNode] { requestIDs.filter { !answered.contains($0) } }

        /// Requests count against `max_upstream_connections`; notifications, responses and the
        /// GET stream do not, so that a cancellation never waits behind what it cancels; nor does
        /// a `subscriptions/listen` stream, which lasts as long as the client and would otherwise
        /// hold a slot for good.
        var holdsConnectionSlot: Bool { !requestIDs.isEmpty && method != "subscriptions/listen" }

        var head: BridgeResponseHead? {
            if case .responding(let head, _) = phase { head } else { nil }
        }

        var wasSent: Bool {
            if case .queued = phase { false } else { true }
        }

        var sentInSession: Bool {
            switch phase {
            case .queued: false
            case .sent(let inSession), .responding(_, let inSession): inSession
            }
        }

        mutating func markAnswered(_ id: JSONNode) {
            if requestIDs.contains(id), !answered.contains(id) { answered.append(id) }
        }
    }

    /// The GET stream on which the upstream sends messages of its own (requests such as sampling
    /// or elicitation, and notifications). Opened once the session is initialized; an upstream
    /// that answers 405 has none and is not asked again; a dropped stream is reopened with
    /// backoff and `Last-Event-ID`, so the upstream can replay what was missed.
    struct ServerStream {
        enum State: Equatable {
            case closed
            case open(CallID)
            case waiting
            /// 405, 404 or shutdown: never (re)opened.
            case refused
        }

        static let initialBackoff = TimeAmount.milliseconds(250)
        static let maximumBackoff = TimeAmount.seconds(30)

        var state = State.closed
        var lastEventID: String?
        var backoff = initialBackoff
    }

    /// Everything in motion while the bridge serves or finishes: the session, the calls (queued
    /// ones too, in `queue` order), the slots they hold, the GET stream, the learned tool headers.
    struct Traffic {
        var session = Session.sessionless
        var calls: [CallID: Call] = [:]
        var queue: [CallID] = []
        var requestsInFlight = 0
        var serverStream = ServerStream()
        var toolHeaders = ToolHeaderAnnotations()
        var nextCall = 0

        mutating func makeCallID() -> CallID {
            nextCall += 1
            return CallID(number: nextCall)
        }

        /// Message calls still running or waiting (the GET stream does not keep shutdown waiting).
        var hasMessageCalls: Bool {
            calls.values.contains { $0.message != nil }
        }
    }
}
