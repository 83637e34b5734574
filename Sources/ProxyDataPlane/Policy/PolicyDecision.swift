import MCPMessages
import NIOCore
import ProxyConfig

/// The tool policy's word on a request about to be forwarded, in the terms the exchange machine
/// takes: refuse it with this answer, or forward it and treat the response this way.
enum PolicyDecision {
    case forward(ResponseTreatment)
    /// `refusedTool` names the tool for the log line.
    case refuse(LocalAnswer, refusedTool: String?)

    /// A POST body is checked (`ToolCallCheck`); a GET's event stream has the responses it
    /// replays filtered; anything else passes. No policy: everything passes, nothing is parsed.
    static func on(method: String, body: ByteBuffer?, head: RequestHead, policy: ToolPolicy?) -> PolicyDecision {
        guard let policy else { return .forward(.passThrough) }
        switch method {
        case "POST":
            switch ToolCallCheck.verdict(body: body, head: head, policy: policy) {
            case .forward(let filter?): return .forward(.rewritten(filter))
            case .forward(nil): return .forward(.passThrough)
            case .refuse(let refusal): return .refuse(.toolRefused(refusal), refusedTool: refusal.tool)
            case .ambiguous(let reason): return .refuse(.ambiguousToolCall(reason), refusedTool: nil)
            }
        case "GET":
            return .forward(.eventsRewritten(.replayedResponses(policy: policy)))
        default:
            return .forward(.passThrough)
        }
    }
}
