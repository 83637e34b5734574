import MCPMessages
import ProxyAudit
import ProxyTracing

/// An exchange's place in a trace: decided at its head (continuing a client's `traceparent`, or
/// a new trace), carried to the upstream as the proxy's own `traceparent`, and turned into a
/// server span and a client span when the exchange ends — when sampled. A class, so that the
/// exchange record holds one pointer (nil without `otel:`): inline, its hundred-odd bytes of ids
/// and strings were copied and reset with every record, about 2,000 instructions per request.
final class ExchangeTrace {
    let traceID: TraceID
    /// The proxy's server span; its parent is the client's span, when it sent one.
    let serverSpan: SpanID
    let parent: SpanID?
    /// The client span of the upstream request: the upstream's spans become its children.
    let clientSpan: SpanID
    let sampled: Bool
    /// The client's `tracestate`, passed on unchanged.
    let traceState: String?
    /// Wall-clock time at the head: the exchange's uptime stamps are converted from it.
    let startUnixNanoseconds: UInt64
    let sessionID: String?
    /// A sampled POST's id and call target, read when its body is complete.
    var call: TracedCall?

    init(traceID: TraceID, serverSpan: SpanID, parent: SpanID?, clientSpan: SpanID, sampled: Bool, traceState: String?,
         startUnixNanoseconds: UInt64, sessionID: String?) {
        self.traceID = traceID
        self.serverSpan = serverSpan
        self.parent = parent
        self.clientSpan = clientSpan
        self.sampled = sampled
        self.traceState = traceState
        self.startUnixNanoseconds = startUnixNanoseconds
        self.sessionID = sessionID
    }
}

/// What a sampled span names that the request log does not keep: read from the body of a sampled
/// POST (the JSON-RPC id, and the tool, prompt or resource of a call).
struct TracedCall {
    let id: String?
    let target: String?
}

extension TracedCall {
    /// The same, from the audit trail's reading of a single message (a batch's `rpcMethod` is nil).
    init?(audited: AuditedRequest) {
        guard audited.calls.count == 1, let call = audited.calls.first else { return nil }
        id = call.id?.serialized
        target = call.target
    }

    /// The id as JSON text, and `params.name` (or `params.uri`) of a single message.
    init?(body: UnsafeRawBufferPointer) {
        guard let message = JSONNode.parse(body), case .object = message else { return nil }
        id = message["id"]?.serialized
        target = message["method"]?.string.flatMap { MCPMethod.namedParameter(of: $0, in: message["params"]) }
    }
}
