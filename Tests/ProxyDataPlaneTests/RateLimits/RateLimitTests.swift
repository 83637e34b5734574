import Foundation
import ProxyConfig
import ProxyMetrics
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `rate_limit:` over real sockets: the runaway client gets 429 with `Retry-After` and a JSON-RPC
/// body naming the limit, counted and logged, never forwarded; another client keeps its rate.
@Suite("rate limits")
struct RateLimitTests {
    static let alice = String(repeating: "a1", count: 20)
    static let bob = String(repeating: "b2", count: 20)
    static let bearer: LoadedConfig.Keys = [
        ("client_auth", "bearer"), ("client_tokens", "[{name: alice, token_env: ALICE_TOKEN}, {name: bob, token_env: BOB_TOKEN}]"),
        ("rate_limit", "{per_client: {requests: 3, per: 1h}}"),
    ]
    static let tokens = ["ALICE_TOKEN": alice, "BOB_TOKEN": bob]

    @Test("a client over its limit gets 429s with Retry-After, counted and logged; another client keeps its full rate")
    func perClientToken() async throws {
        let metrics = ProxyMetrics()
        let proxy = try await ProxyHarness.start(profile: Self.bearer, environment: Self.tokens, metrics: metrics.profile("test"))
        let alice = ["Authorization: Bearer \(Self.alice)"]
        for _ in 0..<3 { #expect(try await proxy.exchange(.post(headers: alice))?.status == 200) }
        let refused = try #require(try await proxy.exchange(.post(headers: alice)))
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") == "1200", "an hour's three tokens come back every 20 minutes")
        #expect(refused.body.contains(#""jsonrpc":"2.0""#) && refused.body.contains("rate_limit.per_client: 3 per 1h (burst 3)"), "\(refused.body)")
        let line = try #require(await proxy.requestLogLine())
        #expect(line["status"] as? Int == 429 && line["reason"] as? String == "rate_limit" && line["client"] as? String == "alice")
        for _ in 0..<3 { #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(Self.bob)"]))?.status == 200) }
        #expect(proxy.upstream.received.count == 6, "the refused request never reached the upstream")
        await proxy.stop()
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"mcp_auth_proxy_rejected_requests_total{profile="test",reason="rate_limit"} 1"#), "\(text)")
    }

    @Test("without client tokens, clients are told apart by address; the profile's limit holds for all of them")
    func perAddressAndProfile() async throws {
        let keys: LoadedConfig.Keys = [("rate_limit", "{per_client: {requests: 2, per: 1m}, per_profile: {requests: 100, per: 1m, burst: 3}}")]
        try await ProxyHarness.with(profile: keys) { proxy in
            // One client address on loopback: each new connection shares its bucket.
            #expect(try await proxy.exchange(.post())?.status == 200)
            #expect(try await proxy.exchange(.post())?.status == 200)
            let refused = try #require(try await proxy.exchange(.post()))
            #expect(refused.status == 429 && refused.header("retry-after") == "30")
            #expect(refused.body.contains("this client's limit"))
            #expect(proxy.upstream.received.count == 2)
        }
    }
}
