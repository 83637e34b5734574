import Testing
@testable import ProxyTracing

/// The OTLP encoding's framing, walked field by field: every length prefix covers exactly its
/// message, at every depth, also for strings past the one-byte varint lengths. (Field meanings
/// are checked by decoding with the official opentelemetry-proto in Tests/Interop/otel_interop.py.)
@Suite("tracing: OTLP protobuf encoding")
struct OTLPEncodingTests {
    /// Reads one message's fields: (field number, wire type, payload range); nil on bad framing.
    static func fields(_ bytes: [UInt8], _ range: Range<Int>) -> [(Int, Int, Range<Int>)]? {
        var index = range.lowerBound
        var out: [(Int, Int, Range<Int>)] = []
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while index < range.upperBound {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while index < range.upperBound {
            guard let tag = varint() else { return nil }
            let start = index
            switch tag & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: index += 8
            case 2:
                guard let length = varint() else { return nil }
                index += Int(length)
                out.append((Int(tag >> 3), 2, (index - Int(length))..<index))
                guard index <= range.upperBound else { return nil }
                continue
            default: return nil
            }
            guard index <= range.upperBound else { return nil }
            out.append((Int(tag >> 3), Int(tag & 7), start..<index))
        }
        return out
    }

    @Test("nested lengths frame their messages exactly; spans, attributes and status where the proto puts them")
    func framing() throws {
        var long = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), parentSpanID: SpanID(4), name: String(repeating: "n", count: 300),
                              kind: .server, startUnixNanoseconds: 10, endUnixNanoseconds: 20)
        long.attributes = [("gen_ai.tool.name", .string(String(repeating: "t", count: 200))), ("http.response.status_code", .int(200)),
                           ("negative", .int(-1))]
        long.error = "timeout"
        long.traceState = "vendor=abc"
        let plain = SpanRecord(traceID: TraceID(high: 5, low: 6), spanID: SpanID(7), parentSpanID: nil, name: "POST", kind: .client,
                               startUnixNanoseconds: 1, endUnixNanoseconds: 2)
        let bytes = OTLPEncoding.exportRequest([long, plain], serviceName: "svc", version: "1.0")
        let request = try #require(Self.fields(bytes, 0..<bytes.count))
        #expect(request.count == 1 && request[0].0 == 1)
        let resourceSpans = try #require(Self.fields(bytes, request[0].2))
        #expect(resourceSpans.map(\.0) == [1, 2])
        let scopeSpans = try #require(Self.fields(bytes, resourceSpans[1].2))
        #expect(scopeSpans.map(\.0) == [1, 2, 2], "the scope, then two spans")
        let span = try #require(Self.fields(bytes, scopeSpans[1].2))
        #expect(span.map(\.0) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 15])
        #expect(span[4].2.count == 300 && span[0].2.count == 16 && span[1].2.count == 8)
        let status = try #require(Self.fields(bytes, span[11].2))
        #expect(status.map(\.0) == [2, 3])
        let attribute = try #require(Self.fields(bytes, span[8].2))
        let value = try #require(Self.fields(bytes, attribute[1].2))
        #expect(value.map(\.0) == [1] && value[0].2.count == 200)
        let second = try #require(Self.fields(bytes, scopeSpans[2].2))
        #expect(second.map(\.0) == [1, 2, 5, 6, 7, 8], "no state, parent, attributes or status")
    }
}
