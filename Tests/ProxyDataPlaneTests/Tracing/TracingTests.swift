import Foundation
import ProxyConfig
import ProxyTestSupport
import ProxyTracing
import Testing
@testable import ProxyDataPlane

/// `otel:` on the data plane over real sockets: the trace a request joins, the traceparent the
/// upstream gets, and the spans recorded. (The OTLP export, decoded by opentelemetry-proto, and an
/// upstream instrumented with the OpenTelemetry SDK are in Tests/Interop/otel_interop.py.)
@Suite("tracing")
struct TracingTests {
    static let clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let clientSpan = "00f067aa0ba902b7"
    static let call = #"{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"create_issue","arguments":{}}}"#

    static func hex(_ id: SpanID) -> String { String(format: "%016llx", id.value) }

    @Test("a client's trace is continued: the upstream gets the proxy's client span as parent, the client's tracestate, one traceparent")
    func continued() async throws {
        let tracer = Tracer(samplingRatio: 0)
        try await ProxyHarness.with(tracer: tracer) { proxy in
            let headers = ["traceparent: 00-\(Self.clientTrace)-\(Self.clientSpan)-01", "tracestate: vendor=abc", "Mcp-Session-Id: s-42"]
            let response = try await proxy.exchange(.post("/mcp/rpc", body: Self.call, headers: headers))
            #expect(response?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            let parents = received.headers.filter { $0.0.lowercased() == "traceparent" }.map(\.1)
            #expect(parents.count == 1 && received.headers.contains { $0.0.lowercased() == "tracestate" && $0.1 == "vendor=abc" })
            let sent = try #require(parents.first)
            #expect(sent.hasPrefix("00-\(Self.clientTrace)-") && sent.hasSuffix("-01") && !sent.contains(Self.clientSpan), "\(sent)")
            #expect(await eventually { tracer.spans.waiting == 2 })
            let spans = tracer.spans.take().spans
            let server = try #require(spans.first { $0.kind == .server })
            let client = try #require(spans.first { $0.kind == .client })
            #expect(server.parentSpanID.map(Self.hex) == Self.clientSpan && client.parentSpanID == server.spanID)
            #expect(sent == "00-\(Self.clientTrace)-\(Self.hex(client.spanID))-01")
            #expect(server.name == "tools/call create_issue" && server.traceState == "vendor=abc")
            let attributes = Dictionary(server.attributes, uniquingKeysWith: { a, _ in a })
            #expect(attributes["mcp.method.name"] == .string("tools/call") && attributes["gen_ai.tool.name"] == .string("create_issue"))
            #expect(attributes["jsonrpc.request.id"] == .string(#""a-1""#) && attributes["mcp.session.id"] == .string("s-42"))
            #expect(attributes["http.response.status_code"] == .int(200) && server.error == nil)
            #expect(client.startUnixNanoseconds >= server.startUnixNanoseconds && client.endUnixNanoseconds <= server.endUnixNanoseconds)
        }
    }

    @Test("sampling 0 without a client's trace: no spans, and the upstream is told the trace is not sampled")
    func notSampled() async throws {
        let tracer = Tracer(samplingRatio: 0)
        try await ProxyHarness.with(tracer: tracer) { proxy in
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call))?.status == 200)
            let sent = try #require(proxy.upstream.received.first?.headers.first { $0.0.lowercased() == "traceparent" }?.1)
            #expect(sent.count == 55 && sent.hasSuffix("-00"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(tracer.spans.waiting == 0)
        }
    }

    @Test("a refusal is a server span with the reason as error.type, and no client span")
    func refusal() async throws {
        let tracer = Tracer(samplingRatio: 1)
        try await ProxyHarness.with(profile: [("tools", #"{deny: ["create_*"]}"#)], tracer: tracer) { proxy in
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call))?.status == 200)
            #expect(await eventually { tracer.spans.waiting == 1 })
            let server = try #require(tracer.spans.take().spans.first)
            #expect(server.kind == .server && server.parentSpanID == nil && server.error == "tool_policy")
            #expect(proxy.upstream.received.isEmpty)
        }
    }
}
