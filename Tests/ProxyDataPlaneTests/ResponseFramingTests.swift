import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// Upstream response framings other than plain content-length, relayed correctly.
@Suite("response framing")
struct ResponseFramingTests {
    @Test("an interim 103 is not relayed as the response; the final 200 is")
    func interimResponse() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/early-hints"))
            #expect(response?.status == 200)
            #expect(response?.body == #"{"ok":true}"#)
        }
    }

    @Test("a close-delimited body arrives whole, re-framed for the keep-alive client")
    func closeDelimited() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/close-delimited"))
            let response = await client.response()
            #expect(response?.status == 200)
            #expect(response?.body == #"{"until":"close"}"#)
            #expect(response?.isComplete == true)
            try await client.send(.post())
            let next = await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count == 3 }
            #expect(next.components(separatedBy: "HTTP/1.1 200").count == 3, "the client connection stays usable")
            await client.close()
        }
    }

    @Test("a 304 is relayed without a body and the connection stays usable")
    func notModified() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.get("/mcp/not-modified"))
            let text = await client.waitFor { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 304"))
            #expect(text.contains("ETag: \"v1\""))
            #expect(!text.lowercased().contains("transfer-encoding"))
            try await client.send(.post())
            let after = await client.waitFor { $0.contains("HTTP/1.1 200") }
            #expect(after.contains("HTTP/1.1 200"))
            await client.close()
        }
    }

    @Test("a chunked body with a trailer is relayed whole")
    func chunkedWithTrailer() async throws {
        try await ProxyHarness.with { proxy in
            let response = try await proxy.exchange(.post("/mcp/chunked-trailer"))
            #expect(response?.status == 200)
            #expect(response?.body == #"{"a":1}"#)
        }
    }

    @Test("an upstream field with a bare LF is a 502, never relayed as a line of its own")
    func responseSplitting() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/split-header"))
            let text = await client.waitFor { $0.contains("}") && $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 502"))
            #expect(!text.lowercased().contains("set-cookie"))
            await client.close()
        }
    }

    @Test("a chunked request body reaches the upstream whole, with a Content-Length and no Transfer-Encoding")
    func chunkedRequest() async throws {
        try await ProxyHarness.with { proxy in
            let body = #"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#
            let first = String(body.prefix(10)), rest = String(body.dropFirst(10))
            let request = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n" + String(rest.utf8.count, radix: 16) + ";ext=1\r\n" + rest + "\r\n0\r\n\r\n"
            let response = try await proxy.exchange(request)
            #expect(response?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.body == body)
            #expect(received.headers.contains { $0.0.lowercased() == "content-length" && $0.1 == String(body.utf8.count) })
            #expect(!received.headers.contains { $0.0.lowercased() == "transfer-encoding" })
            #expect(received.signatureValid)
        }
    }

    @Test("an HTTP/1.0 client gets an unchunked body and the connection closes after it")
    func http10Client() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
            try await client.send("POST /mcp/close-delimited HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            let text = await client.waitFor { _ in client.isClosed }
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(!text.lowercased().contains("transfer-encoding"))
            #expect(text.hasSuffix("\r\n\r\n{\"until\":\"close\"}"))
            #expect(client.isClosed)
        }
    }
}
