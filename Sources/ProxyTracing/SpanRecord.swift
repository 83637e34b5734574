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
