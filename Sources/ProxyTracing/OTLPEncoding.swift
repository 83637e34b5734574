/// Spans as an OTLP `ExportTraceServiceRequest` (opentelemetry-proto, `trace/v1` and
/// `collector/trace/v1`), in the protobuf binary encoding that OTLP/HTTP posts as
/// `application/x-protobuf`. Written by hand for the few messages and fields the proxy sends;
/// the field numbers are the proto files', and the tests decode the output with the official
/// Python package.
package enum OTLPEncoding {
    package static func exportRequest(_ spans: [SpanRecord], serviceName: String, version: String) -> [UInt8] {
        var resource = Message()
        resource.message(1, keyValue("service.name", .string(serviceName)))
        resource.message(1, keyValue("service.version", .string(version)))
        var scope = Message()
        scope.string(1, "mcp-auth-proxy")
        scope.string(2, version)
        var scopeSpans = Message()
        scopeSpans.message(1, scope)
        for span in spans { scopeSpans.message(2, encode(span)) }
        var resourceSpans = Message()
        resourceSpans.message(1, resource)
        resourceSpans.message(2, scopeSpans)
        var request = Message()
        request.message(1, resourceSpans)
        return request.bytes
    }

    static func encode(_ span: SpanRecord) -> Message {
        var message = Message()
        message.bytes(1, traceIDBytes(span.traceID))
        message.bytes(2, spanIDBytes(span.spanID))
        if let state = span.traceState { message.string(3, state) }
        if let parent = span.parentSpanID { message.bytes(4, spanIDBytes(parent)) }
        message.string(5, span.name)
        message.varint(6, span.kind.rawValue)
        message.fixed64(7, span.startUnixNanoseconds)
        message.fixed64(8, span.endUnixNanoseconds)
        for (key, value) in span.attributes { message.message(9, keyValue(key, value)) }
        if let error = span.error {
            var status = Message()
            status.string(2, error)
            status.varint(3, 2)
            message.message(15, status)
        }
        return message
    }

    static func keyValue(_ key: String, _ value: SpanRecord.Value) -> Message {
        var any = Message()
        switch value {
        case .string(let text): any.string(1, text)
        case .int(let number): any.varint(3, UInt64(bitPattern: number))
        }
        var pair = Message()
        pair.string(1, key)
        pair.message(2, any)
        return pair
    }

    static func traceIDBytes(_ id: TraceID) -> [UInt8] { bigEndian(id.high) + bigEndian(id.low) }
    static func spanIDBytes(_ id: SpanID) -> [UInt8] { bigEndian(id.value) }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// A protobuf message being written: fields in order, nested messages length-prefixed.
    struct Message {
        var bytes: [UInt8] = []

        mutating func varint(_ field: UInt64, _ value: UInt64) {
            tag(field, wireType: 0)
            appendVarint(value)
        }

        mutating func fixed64(_ field: UInt64, _ value: UInt64) {
            tag(field, wireType: 1)
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }

        mutating func bytes(_ field: UInt64, _ value: [UInt8]) {
            tag(field, wireType: 2)
            appendVarint(UInt64(value.count))
            bytes += value
        }

        mutating func string(_ field: UInt64, _ value: String) {
            bytes(field, Array(value.utf8))
        }

        mutating func message(_ field: UInt64, _ value: Message) {
            bytes(field, value.bytes)
        }

        private mutating func tag(_ field: UInt64, wireType: UInt64) {
            appendVarint(field << 3 | wireType)
        }

        private mutating func appendVarint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
    }
}
