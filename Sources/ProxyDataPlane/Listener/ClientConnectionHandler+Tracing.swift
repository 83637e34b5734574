import NIOCore
import ProxyLogging
import ProxyTracing

/// OpenTelemetry on the loop: the trace an exchange joins is decided at its head, and its spans
/// are recorded into the tracer's sink when it ends (the supervisor exports them in batches).
extension ClientConnectionHandler {
    /// The exchange's trace under `otel:`: a client's valid `traceparent` is continued (and its
    /// sampling decision kept), else a new trace is started and sampled at the configured ratio.
    func exchangeTrace(for head: RequestHead, tracer: Tracer) -> ExchangeTrace {
        var parent: TraceParent?
        var state: String?
        var session: String?
        head.bytes.withUnsafeReadableBytes { raw in
            var parents = 0
            for field in head.fields {
                let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
                let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
                if ASCII.equalsIgnoringCase(name, lowercased: "traceparent") {
                    parents += 1
                    parent = TraceParent.parse(value)
                } else if ASCII.equalsIgnoringCase(name, lowercased: "tracestate"), value.count <= 512 {
                    state = String(decoding: value, as: UTF8.self)
                } else if ASCII.equalsIgnoringCase(name, lowercased: "mcp-session-id"), value.count <= 256 {
                    session = String(decoding: value, as: UTF8.self)
                }
            }
            // Two traceparent fields: which one counts is ambiguous, so neither does (W3C).
            if parents > 1 { parent = nil }
        }
        // Seeded at the connection's first traced request: no system call for connections without.
        var ids = spanIDs ?? SpanIDGenerator()
        defer { spanIDs = ids }
        let random = ids.next()
        let traceID = parent?.traceID ?? TraceID(high: ids.next(), low: random)
        return ExchangeTrace(traceID: traceID, serverSpan: SpanID(ids.next()), parent: parent?.parentID,
                             clientSpan: SpanID(ids.next()), sampled: tracer.samples(parent, random: random),
                             traceState: parent == nil ? nil : state, startUnixNanoseconds: UInt64(LogClock.unixNanoseconds()),
                             sessionID: session)
    }

    /// The server span of the exchange that ended, and the client span of its upstream request.
    func recordSpans(_ exchange: RequestExchange, trace: ExchangeTrace, tracer: Tracer, now: NIODeadline) {
        let end = trace.startUnixNanoseconds &+ UInt64(max(0, (now - exchange.startedAt).nanoseconds))
        var server = SpanRecord.mcpServer(traceID: trace.traceID, spanID: trace.serverSpan, parent: trace.parent, method: exchange.rpcMethod,
                                          target: trace.call?.target ?? exchange.refusedTool, requestID: trace.call?.id,
                                          otherwise: exchange.method, start: trace.startUnixNanoseconds, end: end)
        server.traceState = trace.traceState
        if let session = trace.sessionID { server.attributes.append(("mcp.session.id", .string(session))) }
        server.attributes.append(("http.request.method", .string(exchange.method)))
        server.attributes.append(("url.path", .string(String(exchange.logPath))))
        server.attributes.append(("http.response.status_code", .int(Int64(exchange.status))))
        server.attributes.append(("client.address", .string(clientAddress)))
        if let client = clientName(of: exchange) { server.attributes.append(("mcp_auth_proxy.client", .string(client))) }
        if let errorType = errorType(of: exchange) { server.fail(errorType) }
        tracer.spans.add(server)

        guard let forwardedAt = exchange.forwardedAt else { return }
        let start = trace.startUnixNanoseconds &+ UInt64(max(0, (forwardedAt - exchange.startedAt).nanoseconds))
        var client = SpanRecord(traceID: trace.traceID, spanID: trace.clientSpan, parentSpanID: trace.serverSpan, name: exchange.method,
                                kind: .client, startUnixNanoseconds: start, endUnixNanoseconds: end)
        let upstream = runtime.profile.upstream
        client.attributes.reserveCapacity(6)
        client.attributes.append(("http.request.method", .string(exchange.method)))
        client.attributes.append(("server.address", .string(upstream.host)))
        client.attributes.append(("server.port", .int(Int64(upstream.port))))
        client.attributes.append(("url.full", .string("\(upstream.scheme.rawValue)://\(upstream.authority)\(exchange.upstreamTarget)")))
        if exchange.upstreamStatus > 0 { client.attributes.append(("http.response.status_code", .int(Int64(exchange.upstreamStatus)))) }
        if let kind = exchange.failure?.metricKind ?? (exchange.upstreamStatus >= 500 ? String(exchange.upstreamStatus) : nil) { client.fail(kind) }
        tracer.spans.add(client)
    }

    /// Why the exchange failed, as the semantic conventions' `error.type`: the upstream failure's
    /// kind, a 5xx status, or the proxy's reason for refusing the request.
    private func errorType(of exchange: RequestExchange) -> String? {
        if let kind = exchange.failure?.metricKind { return kind }
        if let reason = exchange.answerReason, reason.isRejection { return reason.rawValue }
        if exchange.status >= 500 { return String(exchange.status) }
        return nil
    }
}
