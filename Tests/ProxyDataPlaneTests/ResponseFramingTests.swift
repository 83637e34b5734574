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
}
