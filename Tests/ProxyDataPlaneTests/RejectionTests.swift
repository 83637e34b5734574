import Foundation
import ProxyTestSupport
import Testing
import ProxyConfig
import ProxyMetrics
@testable import ProxyDataPlane

/// Requests that must be answered locally and never reach the upstream.
@Suite("requests refused before forwarding")
struct RejectionTests {
    @Test("rejected requests get the right status and a JSON body, and the upstream sees none", arguments: [
        (String.post(headers: ["Origin: http://evil.example"]), 403),
        (String.post(host: "evil.example:8931"), 403),
        (String.post(body: "{not json"), 400),
        (String.post(body: #"{"id":1,"method":"x"}"#), 400),
        (String.post(body: "[]"), 400),
        (String.post(body: "42"), 400),
        (String.get("/.well-known/oauth-protected-resource"), 404),
        (String.get("/.well-known/oauth-authorization-server/mcp"), 404),
        (String.get("/.well-known/openid-configuration"), 404),
        (String.post("/register", body: "{}"), 404),
        (String.get("/authorize"), 404),
        (String.post("/token", body: "{}"), 404),
        (String.get("/elsewhere"), 404),
        (String.post("/mcp/../admin"), 400),
        (String.post("/mcp/%2e%2e/admin"), 400),
        (String.post("//other.host/mcp"), 400),
        (String.post("/mcp/a%2fb"), 400),
        ("POST http://other.host/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", 400),
        ("CONNECT other.host:443 HTTP/1.1\r\nHost: other.host:443\r\n\r\n", 403),
        ("CONNECT other.host:443 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ("OPTIONS /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n", 403),
        ("OPTIONS /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n\r\n", 405),
    ])
    func refused(request: String, status: Int) async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(request)
            #expect(response?.status == status)
            #expect(response?.header("content-type") == "application/json")
            #expect(response?.headers.contains { $0.0.lowercased().hasPrefix("access-control-") } == false, "no CORS permission is ever granted")
            #expect(proxy.upstream.received.isEmpty)
            let line = await proxy.requestLogLine()
            let reason = line?["reason"] as? String
            #expect(reason.map(ProfileMetrics.rejectionReasons.contains) == true, "the log line names the refusal as the metrics do: \(line ?? [:])")
        }
    }

    @Test("JSON-RPC error codes: -32700 for bad JSON, -32600 for a non-request")
    func errorCodes() async throws {
        try await ProxyHarness.with { proxy in
            let parseError = try await proxy.exchange(.post(body: "{"))
            let invalid = try await proxy.exchange(.post(body: "[1]"))
            #expect(parseError?.body.contains("-32700") == true)
            #expect(invalid?.body.contains("-32600") == true)
        }
    }

    @Test("loopback origins and listed origins are allowed")
    func allowedOrigins() async throws {
        try await ProxyHarness.with(profile: [("allowed_origins", "[https://app.example.com]")]) { proxy in
            for origin in ["http://localhost:6274", "http://127.0.0.1", "http://[::1]:3000", "https://app.example.com"] {
                let response = try await proxy.exchange(.post(headers: ["Origin: \(origin)"], host: "localhost:8931"))
                #expect(response?.status == 200, "\(origin)")
            }
            #expect(proxy.upstream.received.count == 4)
        }
    }

    @Test("a body over max_request_body gets 413, by header or by counting")
    func tooLarge() async throws {
        try await ProxyHarness.with(profile: [("max_request_body", "64B")]) { proxy in
            let big = #"{"jsonrpc":"2.0","id":1,"method":"x","params":""# + String(repeating: "a", count: 100) + #""}"#
            let declared = try await proxy.exchange(.post(body: big))
            #expect(declared?.status == 413)
            let chunked = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + String(repeating: "a", count: 64) + "\r\n40\r\n" + String(repeating: "a", count: 64) + "\r\n0\r\n\r\n"
            let counted = try await proxy.exchange(chunked)
            #expect(counted?.status == 413)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("smuggling-shaped requests get 400 and the connection closes")
    func smuggling() async throws {
        try await ProxyHarness.with { proxy in
            for request in [
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
            ] {
                let client = try await proxy.client()
                try await client.send(request)
                let text = await client.waitFor { _ in false }
                #expect(text.hasPrefix("HTTP/1.1 400"), "\(request.debugDescription)")
                #expect(client.isClosed)
            }
            #expect(proxy.upstream.received.isEmpty)
        }
    }
}

@Suite("upstream failures")
struct UpstreamFailureTests {
    @Test("an unreachable upstream gives 502 with a JSON-RPC error naming the profile")
    func unreachable() async throws {
        let dead = try RefusingPort()
        try await ProxyHarness.with(upstreamPort: dead.port) { proxy in
            let response = try await proxy.exchange(.post())
            #expect(response?.status == 502)
            #expect(response?.body.contains("\"profile\":\"test\"") == true)
            #expect(response?.body.contains("upstream unreachable") == true)
            #expect(response?.body.contains(ProxyHarness.secret) == false)
        }
        withExtendedLifetime(dead) {}
    }

    @Test("a malformed upstream response gives 502 and the proxy keeps serving")
    func malformedResponse() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/garbage"))
            #expect(response?.status == 502)
            #expect(response?.body.contains("malformed") == true)
            let after = try await proxy.exchange(.post())
            #expect(after?.status == 200)
        }
    }

    @Test("a silent upstream gives 504 after request_timeout")
    func timeout() async throws {
        try await ProxyHarness.with(profile: [("request_timeout", "300ms")]) { proxy in
            let response = try await proxy.exchange(.post("/mcp/slow"))
            #expect(response?.status == 504)
            #expect(proxy.upstream.received.count == 1)
            let after = try await proxy.exchange(.post())
            #expect(after?.status == 200, "the proxy keeps serving")
        }
    }

    @Test("log lines are JSON and never contain the secret or the signature")
    func logsAreClean() async throws {
        try await ProxyHarness.with { proxy in
            _ = try await proxy.exchange(.post(headers: ["Authorization: Bearer very-private-token"]))
            _ = try await proxy.exchange(.post("/mcp/status/401"))
            await eventually { proxy.logLines().count >= 2 }
            let lines = proxy.logLines()
            #expect(lines.count >= 2)
            #expect(lines.allSatisfy { $0["unparsable"] == nil })
            let raw = try String(contentsOfFile: proxy.logPath, encoding: .utf8)
            #expect(!raw.contains(ProxyHarness.secret))
            #expect(!raw.contains("very-private-token"))
            let signatures = proxy.upstream.received.compactMap { $0.headers.first { $0.0.lowercased() == "x-signature" }?.1 }
            #expect(!signatures.isEmpty)
            for signature in signatures { #expect(!raw.contains(signature)) }
        }
    }
}
