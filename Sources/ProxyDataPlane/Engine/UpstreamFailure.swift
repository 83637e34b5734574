import MCPMessages
/// Why an upstream exchange ended without a complete response. The messages go into the
/// JSON-RPC error body and the log; they name the upstream, never a credential.
enum UpstreamFailure: Error, Equatable {
    case connectFailed(String)
    case tlsFailed(String)
    case closedEarly
    case timedOut
    case malformedResponse
    /// The client stopped reading its response for longer than the stalled-client bound.
    case clientStalled
    /// The response to a `tools/list` request could not be filtered by the tool policy; the
    /// client got a JSON-RPC error for it instead (HTTP 200, like any JSON-RPC error).
    case unfilterableToolList(ToolListFilter.Failure)

    /// The `kind` label of `upstream_errors_total`; nil for the client's own failure.
    var metricKind: String? {
        switch self {
        case .connectFailed: return "connect"
        case .tlsFailed: return "tls"
        case .timedOut: return "timeout"
        case .closedEarly: return "reset"
        case .malformedResponse: return "malformed"
        case .clientStalled: return nil
        case .unfilterableToolList: return "tool_list"
        }
    }

    /// 502 for anything broken, 504 for slowness.
    var status: Int { self == .timedOut ? 504 : 502 }

    var summary: String {
        switch self {
        case .connectFailed(let reason): return "upstream unreachable: \(reason)"
        case .tlsFailed(let reason): return "TLS handshake with the upstream failed: \(reason)"
        case .closedEarly: return "upstream closed the connection before the response was complete"
        case .timedOut: return "upstream did not answer within request_timeout"
        case .malformedResponse: return "upstream sent a malformed HTTP response"
        case .clientStalled: return "the client stopped reading its response"
        case .unfilterableToolList(let failure): return "the upstream's tools/list response \(failure); the tool policy answered with an error"
        }
    }
}
