@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `tools/list` responses on real sockets: filtered in every framing the upstream may use, each
/// arriving split across many TCP reads; refused whole when too large; untouched for every other
/// response and for profiles without a policy.
@Suite("tool list filtering")
struct ToolListFilteringTests {
    static func list(id: String = #""abc""#, headers: [String] = [], framing: TestUpstream.ToolListFraming) -> String {
        .post("/mcp/tools-\(framing.rawValue)", body: #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/list","params":{}}"#, headers: headers)
    }

    /// The JSON-RPC message a response carries: the body itself, or the data of its last event.
    static func message(_ response: ParsedResponse) throws -> JSONNode {
        let text = response.header("content-type") == "text/event-stream" ? ToolListFilterTests.eventData(response.body).last ?? "" : response.body
        return try #require(JSONNode.parse(Array(text.utf8)))
    }

    @Test("the list is filtered in JSON, chunked JSON and an event stream, each split across reads", arguments: TestUpstream.ToolListFraming.allCases)
    func filtered(_ framing: TestUpstream.ToolListFraming) async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let response = try #require(try await proxy.exchange(Self.list(headers: ["Accept-Encoding: gzip"], framing: framing)))
            #expect(response.status == 200 && response.isComplete)
            let message = try Self.message(response)
            #expect(ToolListFilterTests.names(message) == ["search_issues", "get_issue"])
            #expect(message["id"] == .string("abc") && message["result"]?["nextCursor"]?.string == "page-2")
            if framing != .sse {
                #expect(response.header("content-length") == String(response.body.utf8.count), "the rewritten body's own length")
                #expect(response.header("transfer-encoding") == nil)
            } else {
                #expect(ToolListFilterTests.eventData(response.body).count == 3, "priming event, progress, response")
                #expect(response.body.contains("\"progress\":1}}\r\n\r\nevent: message\nid: ev-2\n"), "events before the response keep their CRLFs")
            }
            let forwarded = try #require(proxy.upstream.received.first)
            #expect(!forwarded.headers.contains { $0.0.lowercased() == "accept-encoding" }, "the proxy must be able to read the list")
        }
    }

    @Test("a GET stream that replays a tools/list response (SSE resumption) has it filtered too")
    func replayedOnGETStream() async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let response = try #require(try await proxy.exchange(.get("/mcp/tools-sse", headers: ["Accept-Encoding: gzip", "Last-Event-ID: ev-1"])))
            #expect(response.status == 200 && response.isComplete)
            let message = try Self.message(response)
            #expect(ToolListFilterTests.names(message) == ["search_issues", "get_issue"])
            #expect(message["id"] == .number("3"))
            #expect(ToolListFilterTests.eventData(response.body).count == 3, "the other events pass")
            let forwarded = try #require(proxy.upstream.received.first)
            #expect(forwarded.method == "GET" && !forwarded.headers.contains { $0.0.lowercased() == "accept-encoding" })
        }
    }

    @Test("without a policy, or for a request that is not tools/list, the same response passes byte for byte")
    func untouched() async throws {
        let expected = TestUpstream.toolListResponse(id: #""abc""#)
        try await ProxyHarness.with { proxy in
            let response = try #require(try await proxy.exchange(Self.list(framing: .json)))
            #expect(response.body == expected)
        }
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let call = #"{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"search_issues"}}"#
            let response = try #require(try await proxy.exchange(.post("/mcp/tools-json", body: call, headers: ["Accept-Encoding: gzip"])))
            #expect(response.body == expected, "only responses to tools/list requests are rewritten")
            #expect(proxy.upstream.received.first?.headers.contains { $0.0.lowercased() == "accept-encoding" } == true)
        }
    }

    @Test("a filtered response keeps the connection usable: a pipelined request after it gets its own response")
    func keepAlive() async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let client = try await proxy.client()
            try await client.send(Self.list(framing: .json) + Self.list(id: "2", framing: .sse))
            let text = await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count == 3 && $0.hasSuffix("0\r\n\r\n") }
            await client.close()
            let second = try #require(text.range(of: "HTTP/1.1 200", options: .backwards))
            let first = try #require(ParsedResponse.parse(String(text[..<second.lowerBound])))
            let next = try #require(ParsedResponse.parse(String(text[second.lowerBound...])))
            #expect(ToolListFilterTests.names(try Self.message(first)) == ["search_issues", "get_issue"])
            #expect(try Self.message(next)["id"] == .number("2"))
            #expect(ToolListFilterTests.names(try Self.message(next)) == ["search_issues", "get_issue"])
        }
    }

    @Test("a list over max_request_body is answered with a JSON-RPC error for its id, never passed unfiltered", arguments: TestUpstream.ToolListFraming.allCases)
    func tooLarge(_ framing: TestUpstream.ToolListFraming) async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy + [("max_request_body", "300B")]) { proxy in
            let response = try #require(try await proxy.exchange(Self.list(framing: framing)))
            #expect(response.status == 200)
            #expect(!response.body.contains("delete_repo"))
            let message = try Self.message(response)
            #expect(message["id"] == .string("abc") && message["error"]?["code"] == .number("-32603"))
            #expect(message["error"]?["message"]?.string?.contains("exceeds max_request_body") == true)
            let line = try #require(await proxy.requestLogLine())
            #expect(line["level"] as? String == "warning")
            #expect((line["error"] as? String)?.contains("tools/list response exceeds max_request_body") == true)
        }
    }
}
