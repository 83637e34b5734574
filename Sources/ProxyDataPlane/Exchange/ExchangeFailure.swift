import MCPMessages

/// Why an exchange that was forwarded ended without the upstream's complete response reaching the
/// client: the upstream failed, the client stopped reading, or the tool policy could not filter
/// the upstream's `tools/list` answer. Three owners, three names; the log line's `error` and the
/// `kind` of `upstream_errors_total` come from here.
enum ExchangeFailure: Equatable {
    case upstream(UpstreamFailure)
    /// The client stopped reading its response for longer than the stalled-client bound.
    case clientStalled
    /// The response to a `tools/list` request could not be filtered; the client got a JSON-RPC
    /// error for it instead (HTTP 200, like any JSON-RPC error).
    case unfilterableToolList(ToolListFilter.Failure)

    /// The `kind` label of `upstream_errors_total`; nil for the client's own failure.
    var metricKind: String? {
        switch self {
        case .upstream(let failure): return failure.metricKind
        case .clientStalled: return nil
        case .unfilterableToolList: return "tool_list"
        }
    }

    var summary: String {
        switch self {
        case .upstream(let failure): return failure.summary
        case .clientStalled: return "the client stopped reading its response"
        case .unfilterableToolList(let failure): return "the upstream's tools/list response \(failure); the tool policy answered with an error"
        }
    }
}
