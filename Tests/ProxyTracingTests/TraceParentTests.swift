import Testing
@testable import ProxyTracing

@Suite("tracing: W3C traceparent and span ids")
struct TraceParentTests {
    static func parse(_ text: String) -> TraceParent? {
        Array(text.utf8).withUnsafeBytes { TraceParent.parse($0) }
    }

    @Test("the spec's example parses; the header the proxy writes reads back the same")
    func roundTrip() throws {
        let parent = try #require(Self.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(parent.traceID == TraceID(high: 0x4bf92f3577b34da6, low: 0xa3ce929d0e0e4736))
        #expect(parent.parentID == SpanID(0x00f067aa0ba902b7) && parent.sampled)
        let written = TraceParent.header(traceID: parent.traceID, spanID: SpanID(0xabc), sampled: false)
        #expect(String(decoding: written, as: UTF8.self) == "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000abc-00")
        #expect(Self.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")?.sampled == true, "other flag bits are ignored")
        #expect(Self.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil, "a later version may add fields")
    }

    @Test("invalid headers start a new trace", arguments: [
        "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
    ])
    func invalid(_ text: String) {
        #expect(Self.parse(text) == nil, "\(text)")
    }

    @Test("span ids are never zero and do not repeat; the ratio samples about its share of new traces")
    func idsAndSampling() {
        var ids = SpanIDGenerator(seed: 42)
        var seen = Set<UInt64>()
        for _ in 0..<100_000 { seen.insert(ids.next()) }
        #expect(seen.count == 100_000 && !seen.contains(0))
        let tenth = Tracer(samplingRatio: 0.1)
        let sampled = (0..<100_000).filter { _ in tenth.samples(nil, random: ids.next()) }.count
        #expect((9_000...11_000).contains(sampled), "\(sampled)")
        let none = Tracer(samplingRatio: 0)
        #expect(!(0..<1000).contains { _ in none.samples(nil, random: ids.next()) })
        let parent = TraceParent(traceID: TraceID(high: 1, low: 1), parentID: SpanID(1), sampled: true)
        #expect(none.samples(parent, random: 0), "a caller's decision is followed")
    }
}
