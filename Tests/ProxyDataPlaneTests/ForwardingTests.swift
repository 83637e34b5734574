import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

@Suite("forwarding through a real listener")
struct ForwardingTests {
    func echoed(_ response: ParsedResponse?) throws -> [String: Any] {
        let body = try #require(response?.body)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    @Test("a POST is signed, mapped below the upstream path, and answered intact")
    func signedPost() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/sub?tenant=a%20b", headers: ["Mcp-Session-Id: s-1", "MCP-Protocol-Version: 2025-06-18"]))
            #expect(response?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.signatureValid)
            #expect(received.target == "/up/sub?tenant=a%20b")
            let headers = Dictionary(received.headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { a, _ in a })
            #expect(headers["host"] == "127.0.0.1:\(proxy.upstream.port)")
            #expect(headers["x-api-key-id"] == "key-1")
            #expect(headers["mcp-session-id"] == "s-1")
            #expect(headers["mcp-protocol-version"] == "2025-06-18")
            #expect(received.body == #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(response?.header("mcp-session-id") == "session-1")
        }
    }

    @Test("client copies of the signing headers are replaced, not forwarded")
    func spoofedSignatureReplaced() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post(headers: ["X-Signature: forged", "x-api-key-id: someone-else", "X-Timestamp: 1", "Connection: x-signature, host"]))
            #expect(response?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.signatureValid)
            #expect(received.headers.filter { $0.0.lowercased() == "x-signature" }.count == 1)
            #expect(received.headers.filter { $0.0.lowercased() == "x-api-key-id" }.map(\.1) == ["key-1"])
            #expect(received.headers.filter { $0.0.lowercased() == "host" }.count == 1)
        }
    }

    @Test("hop-by-hop headers are stripped both ways, end-to-end ones kept")
    func hopByHop() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post(headers: ["Connection: keep-alive, x-private", "X-Private: secret-ish", "Keep-Alive: timeout=5", "TE: trailers", "Proxy-Authorization: Basic abc", "Last-Event-ID: 7"]))
            let received = try #require(proxy.upstream.received.first)
            let names = Set(received.headers.map { $0.0.lowercased() })
            for name in ["connection", "x-private", "keep-alive", "te", "proxy-authorization"] {
                #expect(!names.contains(name), "\(name) was forwarded")
            }
            #expect(names.contains("last-event-id"))
            #expect(response?.header("x-upstream-private") == nil)
            #expect(response?.header("connection") == nil)
        }
    }

    @Test("upstream 401, 403 and 500 pass through with headers and body, after exactly one attempt", arguments: [401, 403, 500])
    func upstreamErrorsPassThrough(status: Int) async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/status/\(status)"))
            #expect(response?.status == status)
            #expect(response?.headers("x-multi") == ["a", "b"])
            #expect(response?.header("www-authenticate") == "HMAC")
            #expect(response?.body.isEmpty == false)
            #expect(proxy.upstream.received.count == 1)
            let line = await proxy.requestLogLine()
            #expect(line?["upstream_status"] as? Int == status)
            if status == 500 {
                #expect((line?["upstream_error"] as? String)?.count == 512)
                #expect(line?["upstream_error_truncated"] as? Bool == true)
            }
        }
    }

    @Test("keep-alive connections carry many requests, and a 204 has no body")
    func keepAlive() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            for index in 0..<5 {
                try await client.send(.post(body: #"{"jsonrpc":"2.0","id":\#(index),"method":"ping"}"#))
                await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count == index + 2 }
            }
            #expect(client.text.components(separatedBy: "HTTP/1.1 200").count == 6)
            #expect(!client.isClosed)
            await client.close()
            let noContent = try await proxy.exchange(.post("/mcp/no-content"))
            #expect(noContent?.status == 204)
        }
    }

    @Test("a 1 MiB response streams through whole")
    func bigResponse() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/big"))
            #expect(response?.body.utf8.count == 1 << 20)
        }
    }

    @Test("DELETE is forwarded; other methods get 405 with Allow")
    func methods() async throws {
        try await ProxyHarness.with { proxy in
            let delete = try await proxy.exchange("DELETE /mcp HTTP/1.1\r\nHost: localhost\r\nMcp-Session-Id: s-1\r\n\r\n")
            #expect(delete?.status == 200)
            #expect(proxy.upstream.received.first?.method == "DELETE")
            #expect(proxy.upstream.received.first?.signatureValid == true)
            let put = try await proxy.exchange("PUT /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
            #expect(put?.status == 405)
            #expect(put?.header("allow") == "GET, POST, DELETE")
            #expect(proxy.upstream.received.count == 1)
        }
    }

    @Test("a HEAD gets its 405 without a body, so the next response on the connection is intact")
    func headHasNoBody() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send("HEAD /mcp HTTP/1.1\r\nHost: localhost\r\n\r\n" + .post())
            let text = await client.waitFor { $0.components(separatedBy: "HTTP/1.1 ").count == 3 && $0.hasSuffix("}") }
            let responses = text.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(responses.first?.hasPrefix("405") == true)
            #expect(responses.first?.hasSuffix("\r\n\r\n") == true, "no body after the HEAD response's head")
            #expect(responses.last?.hasPrefix("200") == true)
        }
    }
}
