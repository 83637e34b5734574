import Foundation
import ProxyConfig
import ProxyMetrics
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `client_auth: bearer` over real sockets: only a listed client token gets through, the token
/// never goes upstream, and a refusal is a 401 a client can act on, logged without the token.
@Suite("inbound client authentication")
struct ClientAuthTests {
    static let alice = String(repeating: "a1", count: 20)
    static let ci = String(repeating: "c1", count: 20)

    static let bearer: LoadedConfig.Keys = [
        ("client_auth", "bearer"), ("client_tokens", "[{name: alice-laptop, token_env: ALICE_TOKEN}, {name: ci, token_env: CI_TOKEN}]"),
    ]
    static let tokens = ["ALICE_TOKEN": alice, "CI_TOKEN": ci]

    @Test("a listed token is accepted, named in the log, and consumed: the upstream sees the proxy's signature, not the token")
    func accepted() async throws {
        try await ProxyHarness.with(profile: Self.bearer, environment: Self.tokens) { proxy in
            let response = try await proxy.exchange(.post(headers: ["Authorization: bearer  \(Self.ci) "]))
            #expect(response?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.signatureValid)
            #expect(!received.headers.contains { $0.0.lowercased() == "authorization" }, "the client token is never forwarded")
            let line = try #require(await proxy.requestLogLine())
            #expect(line["client"] as? String == "ci")
            #expect(!proxy.logLines().description.contains(Self.ci))
        }
    }

    @Test("missing, wrong, truncated, extended, other-scheme and doubled tokens get 401 with WWW-Authenticate; nothing is forwarded", arguments: [
        [], ["Authorization: Bearer wrong-token-wrong-token-wrong-token-0000"], ["Authorization: Bearer \(String(alice.dropLast()))"],
        ["Authorization: Bearer \(alice)x"], ["Authorization: Basic \(alice)"], ["Authorization: Bearer"],
        ["Authorization: Bearer \(alice)", "Authorization: Bearer \(ci)"],
    ])
    func refused(_ headers: [String]) async throws {
        try await ProxyHarness.with(profile: Self.bearer, environment: Self.tokens) { proxy in
            let response = try #require(try await proxy.exchange(.post(headers: headers)))
            #expect(response.status == 401)
            #expect(response.header("www-authenticate") == #"Bearer realm="mcp-auth-proxy""#)
            #expect(response.body.contains(#""jsonrpc":"2.0""#) && response.body.contains("client token"))
            #expect(proxy.upstream.received.isEmpty)
            let line = try #require(await proxy.requestLogLine())
            #expect(line["level"] as? String == "warning" && line["reason"] as? String == "client_auth")
            #expect(line["client_address"] as? String == "127.0.0.1")
            #expect(!proxy.logLines().description.contains(Self.alice.dropLast(2)), "the presented token is never logged")
        }
    }

    @Test("the keep-alive connection stays usable after a refusal, and OAuth discovery probes still get their 404")
    func keepAliveAndDiscovery() async throws {
        try await ProxyHarness.with(profile: Self.bearer, environment: Self.tokens) { proxy in
            let client = try await proxy.client()
            try await client.send(.post())
            // Not inside #expect: a trailing closure there was called again by the next `waitFor`
            // (Swift 6.3, debug build), which then returned at once.
            let refused = await client.waitFor { $0.contains("HTTP/1.1 401") }
            #expect(refused.hasPrefix("HTTP/1.1 401"))
            try await client.send(.post(headers: ["Authorization: Bearer \(Self.alice)"]))
            await client.waitFor { $0.contains("HTTP/1.1 200") }
            #expect(client.text.contains("HTTP/1.1 200") && !client.isClosed, "\(client.text)")
            #expect(try await proxy.exchange(.get("/.well-known/oauth-protected-resource"))?.status == 404)
            await client.close()
        }
    }

    @Test("each client's requests are counted under its name; refusals under rejected_requests_total")
    func metrics() async throws {
        let metrics = ProxyMetrics()
        let proxy = try await ProxyHarness.start(profile: Self.bearer, environment: Self.tokens, metrics: metrics.profile("test"))
        for _ in 0..<3 { #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(Self.ci)"]))?.status == 200) }
        #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(Self.alice)"]))?.status == 200)
        #expect(try await proxy.exchange(.post())?.status == 401)
        await proxy.stop()
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"mcp_auth_proxy_client_requests_total{profile="test",client="ci"} 3"#), "\(text)")
        #expect(text.contains(#"mcp_auth_proxy_client_requests_total{profile="test",client="alice-laptop"} 1"#))
        #expect(text.contains(#"mcp_auth_proxy_rejected_requests_total{profile="test",reason="client_auth"} 1"#))
        #expect(!text.contains(Self.ci) && !text.contains(Self.alice))
    }

    @Test("constant-time comparison: equal only for the same bytes, whatever the lengths")
    func comparison() {
        func equals(_ presented: String, _ expected: String) -> Bool {
            Array(presented.utf8).withUnsafeBytes { ClientAuthenticator.constantTimeEquals($0, Array(expected.utf8)) }
        }
        #expect(equals("abc", "abc"))
        #expect(!equals("abd", "abc") && !equals("ab", "abc") && !equals("abcabc", "abc") && !equals("", "abc"))
        // A presented value that repeats the expected one is not equal just because the bytes wrap.
        #expect(!equals("a", "aaaa"))
    }
}
