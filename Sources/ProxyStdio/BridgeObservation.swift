import MCPMessages
import NIOCore
import ProxyAudit
import ProxyLogging
import ProxyTracing

/// The bridge's calls as the audit trail and the tracer see them: what each upstream call
/// carried, its trace (from the message's `params._meta.traceparent`, where MCP clients put trace
/// context on stdio), and what came back — kept by the shell beside the machine, which decides
/// nothing here. Only made while `audit:` or `otel:` is configured.
struct BridgeObservation {
    let audited: AuditedRequest?
    let trace: BridgeTrace?
    let startedAt: NIODeadline
    let startUnixNanoseconds: UInt64
    let bytesIn: Int
    var status = 0
    var isEventStream = false
    var bytesOut = 0
}

/// A bridge call's place in a trace: its server span (the stdio side) and the client span of its
/// POST, whose id the upstream gets in `traceparent`.
struct BridgeTrace {
    let traceID: TraceID
    let serverSpan: SpanID
    let clientSpan: SpanID
    let parent: SpanID?
    let traceState: String?
    let sampled: Bool
    let method: String?
    let target: String?
    let id: String?

    /// The trace of the message `body`: its `_meta` trace context continued, else a new trace.
    init(body: ByteBuffer?, tracer: Tracer, ids: inout SpanIDGenerator) {
        let message = body.flatMap { body in body.withUnsafeReadableBytes { JSONNode.parse($0) } }
        let meta = message?["params"]?["_meta"]
        let parent = meta?["traceparent"]?.string.flatMap { text in Array(text.utf8).withUnsafeBytes { TraceParent.parse($0) } }
        let random = ids.next()
        traceID = parent?.traceID ?? TraceID(high: ids.next(), low: random)
        serverSpan = SpanID(ids.next())
        clientSpan = SpanID(ids.next())
        self.parent = parent?.parentID
        traceState = parent == nil ? nil : meta?["tracestate"]?.string
        sampled = tracer.samples(parent, random: random)
        method = message?["method"]?.string
        target = method.flatMap { MCPMethod.namedParameter(of: $0, in: message?["params"]) }
        id = message?["id"]?.serialized
    }

    var headers: [(String, String)] {
        var headers = [("traceparent", String(decoding: TraceParent.header(traceID: traceID, spanID: clientSpan, sampled: sampled), as: UTF8.self))]
        if let traceState { headers.append(("tracestate", traceState)) }
        return headers
    }

    /// The server span of the call as the stdio client made it, and the client span of its POST.
    func spans(start: UInt64, end: UInt64, status: Int, failure: String?, upstream: String) -> [SpanRecord] {
        var server = SpanRecord.mcpServer(traceID: traceID, spanID: serverSpan, parent: parent, method: method, target: target, requestID: id,
                                          otherwise: "stdio", start: start, end: end)
        server.traceState = traceState
        server.attributes.append(("network.transport", .string("pipe")))
        var client = SpanRecord(traceID: traceID, spanID: clientSpan, parentSpanID: serverSpan, name: "POST",
                                kind: .client, startUnixNanoseconds: start, endUnixNanoseconds: end)
        client.attributes.append(("http.request.method", .string("POST")))
        client.attributes.append(("url.full", .string(upstream)))
        if status > 0 { client.attributes.append(("http.response.status_code", .int(Int64(status)))) }
        let errorType = failure.map { _ in "upstream" } ?? (status >= 500 ? String(status) : nil)
        if let errorType {
            server.fail(errorType, description: failure)
            client.fail(errorType, description: failure)
        }
        return [server, client]
    }
}
