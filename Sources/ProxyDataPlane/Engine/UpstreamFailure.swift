/// Why an upstream exchange ended without a complete response. The messages go into the
/// JSON-RPC error body and the log; they name the upstream, never a credential.
enum UpstreamFailure: Error, Equatable {
    case connectFailed(String)
    case tlsFailed(String)
    case closedEarly
    case timedOut
    case malformedResponse
    /// No credential can be had (an OAuth profile never logged in, or its grant revoked); the
    /// message says what to run. Nothing was sent upstream.
    case credentialUnavailable(String)

    /// The `kind` label of `upstream_errors_total`.
    var metricKind: String {
        switch self {
        case .connectFailed: return "connect"
        case .tlsFailed: return "tls"
        case .timedOut: return "timeout"
        case .closedEarly: return "reset"
        case .malformedResponse: return "malformed"
        case .credentialUnavailable: return "credential"
        }
    }

    /// 502 for anything broken, 504 for slowness, 503 when there is no credential to send: not
    /// 401, which an MCP client would take as its own login challenge.
    var status: Int {
        switch self {
        case .timedOut: return 504
        case .credentialUnavailable: return 503
        default: return 502
        }
    }

    var summary: String {
        switch self {
        case .connectFailed(let reason): return "upstream unreachable: \(reason)"
        case .tlsFailed(let reason): return "TLS handshake with the upstream failed: \(reason)"
        case .closedEarly: return "upstream closed the connection before the response was complete"
        case .timedOut: return "upstream did not answer within request_timeout"
        case .malformedResponse: return "upstream sent a malformed HTTP response"
        case .credentialUnavailable(let problem): return problem
        }
    }
}
