@testable import MCPMessages
import ProxyConfig
import ProxyMetrics
import Testing
@testable import ProxyDataPlane

/// The data plane names rejection reasons and upstream failure kinds; the metrics module counts
/// only the names it has slots for. A name it does not know would be dropped silently, so the two
/// vocabularies are checked against each other here.
@Suite("metric label vocabularies")
struct MetricLabelTests {
    static let answers: [LocalAnswer] = [
        .hostNotAllowed, .malformedHost, .bodyNotAllowed("GET"), .originNotAllowed, .badTarget("x"), .discoveryProbe, .notFound, .methodNotAllowed("PUT"), .unauthenticated,
        .tokenChallenge(.noToken), .tokenChallenge(.invalidToken), .tokenChallenge(.insufficientScope), .protectedResourceMetadata,
        .toolRefused(ToolCallCheck.Refusal(ids: ["1"], tool: "t", namesTool: true, isBatch: false)), .ambiguousToolCall("x"),
        .bodyTooLarge, .bodyNotJSON, .bodyNotJSONRPC, .headTooLarge, .malformedHTTP("x"), .bodyTimedOut,
        .rateLimited(RateLimitRefusal(scope: .client, rate: .init(requests: 1, per: .seconds(1)), waitNanoseconds: 1)),
        .upstreamFailed(.timedOut),
        .toolListUnfilterable(ToolListFilter(request: .object([("id", .number("1")), ("method", .string("tools/list"))]), policy: ToolPolicy(allow: nil, deny: []))!, .unreadable(.malformed(at: 0))),
    ]
    static let failures: [ExchangeFailure] = [
        .upstream(.connectFailed("x")), .upstream(.tlsFailed("x")), .upstream(.closedEarly), .upstream(.timedOut), .upstream(.malformedResponse),
        .clientStalled, .unfilterableToolList(.tooLarge),
    ]

    @Test("every rejection reason the data plane gives has a rejected_requests_total series")
    func rejectionReasons() {
        let given = Set(Self.answers.filter(\.isRejection).map(\.reason.rawValue))
        #expect(given == Set(ProfileMetrics.rejectionReasons))
    }

    @Test("every upstream failure kind has an upstream_errors_total series")
    func upstreamKinds() {
        let given = Set(Self.failures.compactMap(\.metricKind))
        #expect(given == Set(ProfileMetrics.upstreamErrorKinds))
    }
}
