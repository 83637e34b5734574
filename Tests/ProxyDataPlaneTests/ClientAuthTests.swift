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

    static func bearer(_ profile: inout Profile) {
        profile.clientAuth = .bearer([
            ClientToken(name: "alice-laptop", token: Secret(bytes: Array(alice.utf8), source: .environment(variable: "ALICE"))),
            ClientToken(name: "ci", token: Secret(bytes: Array(ci.utf8), source: .file(path: "/run/secrets/ci"))),
        ])
    }

    @Test("a listed token is accepted, named in the log, and consumed: the upstream sees the proxy's signature, not the token")
    func accepted() async throws {
        try await ProxyHarness.with(configure: Self.bearer) { proxy in
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
        try await ProxyHarness.with(configure: Self.bearer) { proxy in
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
        try await ProxyHarness.with(configure: Self.bearer) { proxy in
            let client = try await proxy.client()
            try await client.send(.post())
            #expect(await client.waitFor { $0.contains("HTTP/1.1 401") }.hasPrefix("HTTP/1.1 401"))
            try await client.send(.post(headers: ["Authorization: Bearer \(Self.alice)"]))
            let deadline = Date().addingTimeInterval(5)
            while !client.text.contains("HTTP/1.1 200"), !client.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(client.text.contains("HTTP/1.1 200") && !client.isClosed, "\(client.text)")
            #expect(try await proxy.exchange(.get("/.well-known/oauth-protected-resource"))?.status == 404)
            await client.close()
        }
    }

    @Test("each client's requests are counted under its name; refusals under rejected_requests_total")
    func metrics() async throws {
        let metrics = ProxyMetrics()
        let proxy = try await ProxyHarness.start(configure: Self.bearer, metrics: metrics.profile("test"))
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
