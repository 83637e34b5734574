/// One finished span, as the OTLP exporter sends it: recorded on an event loop at the end of an
/// exchange, exported in batches from the control plane.
package struct SpanRecord: Sendable {
    package enum Kind: UInt64, Sendable {
        case server = 2
        case client = 3
    }

    package enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
    }

    package var traceID: TraceID
    package var spanID: SpanID
    package var parentSpanID: SpanID?
    /// The caller's `tracestate`, passed on as it came.
    package var traceState: String?
    package var name: String
    package var kind: Kind
    package var startUnixNanoseconds: UInt64
    package var endUnixNanoseconds: UInt64
    package var attributes: [(String, Value)]
    /// Status ERROR with this description; nil: UNSET.
    package var error: String?

    package init(traceID: TraceID, spanID: SpanID, parentSpanID: SpanID?, name: String, kind: Kind,
                 startUnixNanoseconds: UInt64, endUnixNanoseconds: UInt64) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startUnixNanoseconds = startUnixNanoseconds
        self.endUnixNanoseconds = endUnixNanoseconds
        attributes = []
    }
}

extension SpanRecord {
    /// The server span of one MCP message, named and attributed after the OpenTelemetry MCP
    /// semantic conventions — `tools/call get_weather`, `mcp.method.name`, `gen_ai.tool.name` (or
    /// `gen_ai.prompt.name`, `mcp.resource.uri`), `jsonrpc.request.id` — for the listener and the
    /// bridge alike; each adds what its transport knows. Named `otherwise` when not a message.
    package static func mcpServer(traceID: TraceID, spanID: SpanID, parent: SpanID?, method: String?, target: String?, requestID: String?,
                                  otherwise name: String, start: UInt64, end: UInt64) -> SpanRecord {
        var span = SpanRecord(traceID: traceID, spanID: spanID, parentSpanID: parent,
                              name: method.map { method in target.map { "\(method) \($0)" } ?? method } ?? name,
                              kind: .server, startUnixNanoseconds: start, endUnixNanoseconds: end)
        span.attributes.reserveCapacity(12)
        if let method {
            span.attributes.append(("mcp.method.name", .string(method)))
            switch (method, target) {
            case ("tools/call", let name?): span.attributes.append(("gen_ai.tool.name", .string(name)))
            case ("prompts/get", let name?): span.attributes.append(("gen_ai.prompt.name", .string(name)))
            case ("resources/read", let uri?): span.attributes.append(("mcp.resource.uri", .string(uri)))
            default: break
            }
        }
        if let requestID { span.attributes.append(("jsonrpc.request.id", .string(requestID))) }
        return span
    }

    /// Marks the span failed: `error.type`, and status ERROR saying `description` (else the type).
    package mutating func fail(_ type: String, description: String? = nil) {
        attributes.append(("error.type", .string(type)))
        error = description ?? type
    }
}
