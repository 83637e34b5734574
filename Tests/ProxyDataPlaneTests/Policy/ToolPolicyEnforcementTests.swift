@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The tool policy on real sockets: a refused call is answered by the proxy and never forwarded,
/// whatever encoding tricks the body uses; headers that contradict the body are refused.
@Suite("tool policy enforcement")
struct ToolPolicyEnforcementTests {
    static let policy: LoadedConfig.Keys = [("tools", #"{deny: ["*delete*"]}"#)]

    static func call(_ tool: String, id: String = "7") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":{}}}"#
    }

    @Test("a refused call gets a JSON-RPC error with its id (HTTP 200), is never forwarded, and is logged and counted")
    func refused() async throws {
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let response = try #require(try await proxy.exchange(.post(body: Self.call("delete_repo", id: #""abc""#))))
            #expect(response.status == 200)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect(body["id"] as? String == "abc")
            let error = try #require(body["error"] as? [String: Any])
            #expect(error["code"] as? Int == -32602)
            #expect((error["message"] as? String)?.contains(#"tool "delete_repo" is not allowed by the tool policy of profile test"#) == true)
            #expect(proxy.upstream.received.isEmpty)
            let line = try #require(await proxy.requestLogLine())
            #expect(line["level"] as? String == "warning" && line["refused_tool"] as? String == "delete_repo")
        }
    }

    @Test("escapes and duplicate keys do not get a refused call through", arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"delete_repo"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"\u0074ools/call","params":{"name":"delete_repo"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"del\u0065te_repo"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","name":"delete_repo"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"delete_repo"}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x_delete"}}]"#,
    ])
    func tricks(_ body: String) async throws {
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let response = try #require(try await proxy.exchange(.post(body: body)))
            #expect(response.status == 200 || response.status == 400, "\(response.status)")
            #expect(proxy.upstream.received.isEmpty, "nothing reaches the upstream")
        }
    }

    @Test("a batch with one refused call is refused whole: an error for each request in it")
    func batch() async throws {
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let body = "[" + Self.call("search", id: "1") + "," + #"{"jsonrpc":"2.0","method":"notifications/x"}"# + "," + Self.call("delete_all", id: "2") + "]"
            let response = try #require(try await proxy.exchange(.post(body: body)))
            let errors = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [[String: Any]])
            #expect(errors.compactMap { $0["id"] as? Int } == [1, 2])
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("allowed calls and other methods are forwarded; matching Mcp-Method/Mcp-Name headers pass")
    func allowed() async throws {
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let allowed = try await proxy.exchange(.post(body: Self.call("search")))
            #expect(allowed?.status == 200)
            let other = try await proxy.exchange(.post())
            #expect(other?.status == 200)
            let headers = ["Mcp-Method: tools/call", "Mcp-Name: =?base64?c2VhcmNo?="]
            let withHeaders = try await proxy.exchange(.post(body: Self.call("search"), headers: headers))
            #expect(withHeaders?.status == 200)
            #expect(proxy.upstream.received.count == 3)
        }
    }

    @Test("Mcp-Method or Mcp-Name that contradict the body get 400 and are not forwarded", arguments: [
        ["Mcp-Method: tools/list"], ["Mcp-Name: search"], ["Mcp-Name: =?base64?c2VhcmNo?="], ["Mcp-Name: delete_repo", "Mcp-Name: delete_repo"],
    ])
    func headerMismatch(_ headers: [String]) async throws {
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let response = try #require(try await proxy.exchange(.post(body: Self.call("delete_repo"), headers: headers)))
            #expect(response.status == 400 || response.status == 200)
            #expect(proxy.upstream.received.isEmpty)
        }
        try await ProxyHarness.with(profile: Self.policy) { proxy in
            let response = try #require(try await proxy.exchange(.post(body: Self.call("other_tool"), headers: headers)))
            #expect(response.status == 400, "an allowed call with contradicting headers is refused too")
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("base64 sentinel decoding")
    func sentinel() {
        #expect(HeaderValueEncoding.decode("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=") == "=?base64?literal?=")
        #expect(HeaderValueEncoding.decode("plain") == "plain")
        #expect(HeaderValueEncoding.decode("=?base64?not base64?=") == nil)
    }
}
