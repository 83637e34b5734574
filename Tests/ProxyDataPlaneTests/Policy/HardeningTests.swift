@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The ways past the tool policy and the credential found by trying (issue 24), each on real
/// sockets against the recording upstream: what the client gets, and that nothing it should not
/// reach went upstream.
@Suite("hardening: the tool policy and the credential")
struct HardeningTests {
    static let allowOnlySearch: LoadedConfig.Keys = [("tools", #"{allow: ["search_*"], deny: ["*delete*"]}"#)]

    static func listRequest(path: String) -> String {
        .post(path, body: #"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}"#)
    }

    @Test("a decoy answer before the real list (another event type, no jsonrpc, jsonrpc 1.0, a batch, a second answer) never lets a refused tool through",
          arguments: [TestUpstream.ToolListDecoy.eventFoo, .eventMessageCapitalised, .noJSONRPC, .jsonRPC10, .batch, .secondAnswer, .byteOrderMark])
    func decoys(_ decoy: TestUpstream.ToolListDecoy) async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let response = try #require(try await proxy.exchange(Self.listRequest(path: "/mcp/tools-decoy-\(decoy.rawValue)")))
            #expect(response.status == 200 && response.isComplete)
            #expect(!response.body.contains("delete"), "\(response.body)")
            let last = try #require(ToolListFilterTests.eventData(response.body).last.flatMap { JSONNode.parse(Array($0.utf8)) })
            #expect(ToolListFilterTests.names(last) == ["search_issues", "get_issue"], "the real list arrives, filtered")
            if decoy == .byteOrderMark { #expect(!response.body.hasPrefix("\u{FEFF}")) }
        }
    }

    @Test("an event stream with a Content-Encoding is answered with a JSON-RPC error for the id, never relayed")
    func contentCodedList() async throws {
        try await ProxyHarness.with(profile: ToolPolicyEnforcementTests.policy) { proxy in
            let response = try #require(try await proxy.exchange(Self.listRequest(path: "/mcp/tools-decoy-gzip")))
            #expect(!response.body.contains("delete"))
            let body = try #require(JSONNode.parse(Array(response.body.utf8)))
            #expect(body["id"] == .number("7") && body["error"]?["code"] == .number("-32603"))
            #expect(body["error"]?["message"]?.string?.contains("Content-Encoding") == true)
        }
    }

    @Test("a GET or DELETE with a body is refused with 400 before anything is signed, with or without a policy",
          arguments: ["GET", "DELETE"], [true, false])
    func bodyOnBodilessMethod(method: String, withPolicy: Bool) async throws {
        let call = ToolPolicyEnforcementTests.call("delete_repo")
        try await ProxyHarness.with(profile: withPolicy ? ToolPolicyEnforcementTests.policy : []) { proxy in
            for framing in ["Content-Length: \(call.utf8.count)\r\n\r\n\(call)", "Transfer-Encoding: chunked\r\n\r\n\(String(call.utf8.count, radix: 16))\r\n\(call)\r\n0\r\n\r\n"] {
                let request = "\(method) /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\nMcp-Method: tools/call\r\nMcp-Name: delete_repo\r\n" + framing
                let response = try #require(try await proxy.exchange(request))
                #expect(response.status == 400)
                let body = try #require(JSONNode.parse(Array(response.body.utf8)))
                #expect(body["error"]?["message"]?.string?.contains("carries no body") == true)
            }
            #expect(proxy.upstream.received.isEmpty, "nothing reached the upstream")
            let line = await proxy.requestLogLine()
            #expect(line?["reason"] as? String == nil || line?["reason"] as? String == "body_not_allowed")
        }
    }

    @Test("under an allowlist, a tools/call without a string params.name is refused, never forwarded",
          arguments: [#""name":["search_x"]"#, #""name":5"#, #""name":null"#, #""name":{}"#, #""arguments":{}"#])
    func unnamedCall(params: String) async throws {
        try await ProxyHarness.with(profile: Self.allowOnlySearch) { proxy in
            let body = #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{\#(params)}}"#
            let response = try #require(try await proxy.exchange(.post(body: body)))
            let answer = try #require(JSONNode.parse(Array(response.body.utf8)))
            #expect(answer["id"] == .number("9") && answer["error"]?["code"] == .number("-32602"))
            #expect(answer["error"]?["message"]?.string?.contains("must name its tool as a string") == true)
            #expect(proxy.upstream.received.isEmpty)
        }
        try await ProxyHarness.with(profile: Self.allowOnlySearch) { proxy in
            for params in [#"["delete_x"]"#, #""delete_x""#] {
                let response = try #require(try await proxy.exchange(.post(body: #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":\#(params)}"#)))
                #expect(response.body.contains("must name its tool as a string"))
            }
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("an upstream error body that echoes the request's headers is logged with every credential redacted",
          arguments: [Profile.AuthScheme.bearer, .header, .authGateway])
    func redactedErrorBody(scheme: Profile.AuthScheme) async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", scheme.rawValue), ("key_id", scheme == .authGateway ? "key-1" : ""),
                                             ("auth_header", scheme == .header ? "x-api-key" : "")], upstreamChecksSignature: false) { proxy in
            let clientToken = "client-token-that-must-not-be-logged"
            let response = try #require(try await proxy.exchange(.post("/mcp/echo-401", headers: ["Authorization: Bearer \(clientToken)"])))
            #expect(response.status == 401)
            let forwarded = try #require(proxy.upstream.received.first)
            let line = try #require(await proxy.requestLogLine())
            let logged = try #require(line["upstream_error"] as? String)
            #expect(logged.contains("[redacted]"), "\(logged)")
            #expect(!logged.contains(ProxyHarness.secret))
            #expect(!logged.contains(clientToken))
            if scheme == .authGateway {
                let signature = try #require(forwarded.headers.first { $0.0.lowercased() == "x-signature" }?.1)
                #expect(!logged.contains(signature), "the signature is a credential too")
                #expect(logged.contains("key-1"), "the key id is not a secret and stays readable")
            }
        }
    }
}
