import MCPMessages
import ProxyTracing

/// An exchange's place in a trace: decided at its head (continuing a client's `traceparent`, or
/// a new trace), carried to the upstream as the proxy's own `traceparent`, and turned into a
/// server span and a client span when the exchange ends — when sampled.
struct ExchangeTrace {
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
}

/// What a sampled span names that the request log does not keep: read from the body of a sampled
/// POST (the JSON-RPC id, and the tool, prompt or resource of a call).
struct TracedCall {
    let id: String?
    let target: String?
}

extension TracedCall {
    /// The id as JSON text, and `params.name` (or `params.uri`) of a single message.
    init?(body: UnsafeRawBufferPointer) {
        guard let message = JSONNode.parse(body), case .object = message else { return nil }
        let params = message["params"]
        id = message["id"]?.serialized
        target = message["method"]?.string == "resources/read" ? params?["uri"]?.string : params?["name"]?.string
    }
}
