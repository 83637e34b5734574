/// Spans as an OTLP `ExportTraceServiceRequest` (opentelemetry-proto, `trace/v1` and
/// `collector/trace/v1`), in the protobuf binary encoding that OTLP/HTTP posts as
/// `application/x-protobuf`. Written by hand for the few messages and fields the proxy sends;
/// the field numbers are the proto files', and the tests decode the output with the official
/// Python package.
///
/// Each nested message's length comes before it, so every message is measured first (`…Size`)
/// and then written once into one buffer reserved for the whole request: building each nested
/// message in an array of its own and copying it into its parent cost more than the rest of a
/// traced request.
package enum OTLPEncoding {
    package static func exportRequest(_ spans: [SpanRecord], serviceName: String, version: String) -> [UInt8] {
        let resource = [("service.name", SpanRecord.Value.string(serviceName)), ("service.version", .string(version))]
        let resourceSize = resource.reduce(0) { $0 + field(keyValueSize($1.0, $1.1)) }
        let scopeSize = field("mcp-auth-proxy".utf8.count) + field(version.utf8.count)
        let spanSizes = spans.map(spanSize)
        let scopeSpansSize = field(scopeSize) + spanSizes.reduce(0) { $0 + field($1) }
        let resourceSpansSize = field(resourceSize) + field(scopeSpansSize)
        let total = field(resourceSpansSize)
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var out = Writer(buffer)
            out.header(1, resourceSpansSize)                 // ExportTraceServiceRequest.resource_spans
            out.header(1, resourceSize)                      // ResourceSpans.resource
            for (key, value) in resource { out.keyValue(1, key, value) }   // Resource.attributes
            out.header(2, scopeSpansSize)                    // ResourceSpans.scope_spans
            out.header(1, scopeSize)                         // ScopeSpans.scope
            out.string(1, "mcp-auth-proxy")
            out.string(2, version)
            for (span, size) in zip(spans, spanSizes) {      // ScopeSpans.spans
                out.header(2, size)
                out.span(span)
            }
            // The sizes and the writing are one description of the format: a test walks the framing.
            precondition(out.offset == total, "an OTLP size and its writing disagree")
            count = total
        }
    }

    // MARK: Sizes

    /// A length-delimited field's whole size (tag, length, content) for content of `size` bytes,
    /// for the fields numbered below 16 the proxy writes (a one-byte tag).
    static func field(_ size: Int) -> Int { 1 + varintSize(UInt64(size)) + size }

    static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    static func anyValueSize(_ value: SpanRecord.Value) -> Int {
        switch value {
        case .string(let text): return field(text.utf8.count)
        case .int(let number): return 1 + varintSize(UInt64(bitPattern: number))
        }
    }

    static func keyValueSize(_ key: String, _ value: SpanRecord.Value) -> Int {
        field(key.utf8.count) + field(anyValueSize(value))
    }

    static func spanSize(_ span: SpanRecord) -> Int {
        var size = field(16) + field(8)                                  // trace_id, span_id
        if let state = span.traceState { size += field(state.utf8.count) }
        if span.parentSpanID != nil { size += field(8) }
        size += field(span.name.utf8.count)
        size += 1 + varintSize(span.kind.rawValue)                       // kind
        size += 2 * 9                                                    // start and end, fixed64
        for (key, value) in span.attributes { size += field(keyValueSize(key, value)) }
        if let error = span.error { size += field(statusSize(error)) }
        return size
    }

    static func statusSize(_ message: String) -> Int { field(message.utf8.count) + 2 }

    // MARK: Writing

    /// Writes into a buffer measured to fit exactly (`exportRequest` checks it was filled).
    struct Writer {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var offset = 0

        init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
            self.buffer = buffer
        }

        mutating func byte(_ value: UInt8) {
            buffer[offset] = value
            offset &+= 1
        }

        /// The tag and length of a length-delimited field whose content follows.
        mutating func header(_ field: UInt64, _ size: Int) {
            varint(field << 3 | 2)
            varint(UInt64(size))
        }

        mutating func string(_ field: UInt64, _ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                header(field, utf8.count)
                guard let source = utf8.baseAddress, let target = buffer.baseAddress else { return }
                (target + offset).update(from: source, count: utf8.count)
                offset &+= utf8.count
            }
        }

        mutating func keyValue(_ field: UInt64, _ key: String, _ value: SpanRecord.Value) {
            header(field, keyValueSize(key, value))
            string(1, key)
            header(2, anyValueSize(value))
            switch value {
            case .string(let text): string(1, text)
            case .int(let number):
                varint(3 << 3)
                varint(UInt64(bitPattern: number))
            }
        }

        mutating func span(_ span: SpanRecord) {
            header(1, 16)
            bigEndian(span.traceID.high)
            bigEndian(span.traceID.low)
            header(2, 8)
            bigEndian(span.spanID.value)
            if let state = span.traceState { string(3, state) }
            if let parent = span.parentSpanID {
                header(4, 8)
                bigEndian(parent.value)
            }
            string(5, span.name)
            varint(6 << 3)
            varint(span.kind.rawValue)
            fixed64(7, span.startUnixNanoseconds)
            fixed64(8, span.endUnixNanoseconds)
            for (key, value) in span.attributes { keyValue(9, key, value) }
            if let error = span.error {
                header(15, statusSize(error))
                string(2, error)
                varint(3 << 3)
                varint(2)                                                // STATUS_CODE_ERROR
            }
        }

        mutating func fixed64(_ field: UInt64, _ value: UInt64) {
            varint(field << 3 | 1)
            for shift in stride(from: 0, to: 64, by: 8) { byte(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }

        mutating func bigEndian(_ value: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) { byte(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }

        mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                byte(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            byte(UInt8(value))
        }
    }
}
