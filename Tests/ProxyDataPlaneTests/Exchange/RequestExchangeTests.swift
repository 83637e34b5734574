import NIOCore
import ProxyAudit
import ProxyConfig
import ProxyTracing
import Testing
@testable import ProxyDataPlane

/// `RequestExchange.begin` resets its record field by field (cheaper than building a new one);
/// these tests keep that reset complete as fields are added.
@Suite("request exchange record")
struct RequestExchangeTests {
    /// Every field set to something other than a new record's.
    func dirtied() -> RequestExchange {
        var exchange = RequestExchange()
        exchange.begin(MachineDriver.requestHead("POST /old?x=1 HTTP/1.1\nhost: a\ncontent-length: 0\n"), at: .uptimeNanoseconds(5))
        exchange.upstreamTarget = "/old?x=1"
        exchange.rpcMethod = "tools/call"
        exchange.refusedTool = "delete_everything"
        exchange.client = AcceptedClient(token: [1], subject: "s", name: "n", toolPolicy: nil, hasRequiredScopes: true,
                                         expiresAt: 1, requests: nil, keyGeneration: 1)
        exchange.rateBucket = RateBucket()
        exchange.trace = ExchangeTrace(traceID: TraceID(high: 1, low: 2), serverSpan: SpanID(3), parent: nil, clientSpan: SpanID(4),
                                       sampled: true, traceState: nil, startUnixNanoseconds: 5, sessionID: nil)

        exchange.audited = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}"#.utf8).withUnsafeBytes {
            AuditedRequest(body: $0, arguments: AuditArguments(AuditSettings(destination: .stderr)))
        }
        exchange.tokenProblem = "expired"
        exchange.answerReason = .toolPolicy
        exchange.status = 502
        exchange.upstreamStatus = 500
        exchange.bytesOut = 10
        exchange.isEventStream = true
        exchange.failure = .clientStalled
        exchange.forwardedAt = .uptimeNanoseconds(6)
        exchange.upstreamRespondedAt = .uptimeNanoseconds(7)
        exchange.captureErrorBody(ByteBuffer(repeating: 0x41, count: RequestExchange.errorSnippetLimit + 1))
        return exchange
    }

    func fields(_ exchange: RequestExchange) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Mirror(reflecting: exchange).children.map { ($0.label!, String(describing: $0.value)) })
    }

    @Test("the test's dirtied record differs from a new one in every field")
    func dirtiedCoversEveryField() {
        let dirty = fields(dirtied())
        let fresh = fields(RequestExchange())
        for (label, value) in fresh {
            #expect(dirty[label] != value, "field `\(label)` is not dirtied here, so `begin` resetting it is untested")
        }
    }

    @Test("begin leaves every field as a new record's begin does, except the request count")
    func beginResetsEveryField() {
        let head = MachineDriver.requestHead("GET /mcp HTTP/1.1\nhost: b\n")
        var reused = dirtied()
        reused.begin(head, at: .uptimeNanoseconds(9))
        var fresh = RequestExchange()
        fresh.begin(head, at: .uptimeNanoseconds(9))
        #expect(reused.number == fresh.number + 1)
        var reusedFields = fields(reused)
        var freshFields = fields(fresh)
        reusedFields["number"] = nil
        freshFields["number"] = nil
        #expect(reusedFields == freshFields)
        #expect(reused.head === head && reused.logPath == "/mcp")
    }
}
