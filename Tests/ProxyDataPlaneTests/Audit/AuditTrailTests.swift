import Foundation
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The audit trail over real sockets: a line per tools/call with who, what, the decision and what
/// the server said; refusals of every kind; nothing secret in any line.
@Suite("audit trail")
struct AuditTrailTests {
    static let alice = String(repeating: "a1", count: 20)
    static let keys: LoadedConfig.Keys = [
        ("client_auth", "bearer"), ("client_tokens", "[{name: alice, token_env: ALICE_TOKEN}]"),
        ("tools", #"{deny: ["*delete*"]}"#),
    ]
    static let environment = ["ALICE_TOKEN": alice]
    static let settings = AuditSettings(destination: .stderr, arguments: .sha256, redact: ["password"])

    static func call(_ tool: String, id: Int = 7, arguments: String = #"{"repo":"acme/web","password":"hunter2"}"#) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
    }

    @Test("who called which tool with what, the decision, the upstream's status and the tool's outcome; equal arguments hash equally")
    func forwardedCalls() async throws {
        try await ProxyHarness.with(profile: Self.keys, environment: Self.environment, audit: Self.settings) { proxy in
            let token = ["Authorization: Bearer \(Self.alice)"]
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call("create_issue"), headers: token))?.status == 200)
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call("failing_build", id: 8,
                arguments: #"{ "password" : "other", "repo" : "acme/web" }"#), headers: token))?.status == 200)
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call("unknown_tool", id: 9), headers: token))?.status == 200)
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, headers: token))?.status == 200)
            let lines = await proxy.auditLines(count: 3)
            #expect(lines.count == 3, "a ping is not audited: \(lines)")
            let first = try #require(lines.first)
            #expect(first["event"] as? String == "audit" && first["profile"] as? String == "test" && first["transport"] as? String == "http")
            #expect(first["client"] as? String == "alice" && first["client_address"] as? String == "127.0.0.1")
            #expect(first["method"] as? String == "tools/call" && first["tool"] as? String == "create_issue" && first["id"] as? Int == 7)
            #expect(first["decision"] as? String == "forwarded" && first["status"] as? Int == 200 && first["upstream_status"] as? Int == 200)
            #expect(first["outcome"] as? String == "ok")
            #expect((first["bytes_in"] as? Int ?? 0) == Self.call("create_issue").utf8.count && (first["bytes_out"] as? Int ?? 0) > 0)
            #expect(first["duration_ms"] is Double || first["duration_ms"] is Int)
            #expect(lines[1]["outcome"] as? String == "tool_error" && lines[1]["is_error"] as? Bool == true)
            #expect(lines[1]["arguments_sha256"] as? String == first["arguments_sha256"] as? String,
                    "the same arguments, spaced and ordered otherwise, with a redacted password that differs")
            #expect(lines[2]["outcome"] as? String == "jsonrpc_error" && lines[2]["error_code"] as? Int == -32602)
            let text = try String(contentsOfFile: proxy.logPath + ".audit", encoding: .utf8)
            #expect(!text.contains("hunter2") && !text.contains(Self.alice) && !text.contains(ProxyHarness.secret))
        }
    }

    @Test("refusals are audited with their reason: the tool policy (with the call's facts), client authentication, the Host check")
    func refusals() async throws {
        try await ProxyHarness.with(profile: Self.keys, environment: Self.environment, audit: Self.settings) { proxy in
            let token = ["Authorization: Bearer \(Self.alice)"]
            let refusedTool = try await proxy.exchange(.post("/mcp/rpc", body: Self.call("delete_issue"), headers: token))
            let unauthenticated = try await proxy.exchange(.post("/mcp/rpc", body: Self.call("create_issue")))
            let wrongHost = try await proxy.exchange(.post("/mcp/rpc", body: Self.call("create_issue"), headers: token, host: "evil.example"))
            #expect(refusedTool?.status == 200 && unauthenticated?.status == 401 && wrongHost?.status == 403)
            let lines = await proxy.auditLines(count: 3)
            #expect(lines.map { $0["decision"] as? String } == ["tool_policy", "client_auth", "host"], "\(lines)")
            #expect(lines[0]["tool"] as? String == "delete_issue" && lines[0]["client"] as? String == "alice" && lines[0]["arguments_sha256"] != nil)
            #expect(lines[0]["upstream_status"] == nil && lines[0]["outcome"] == nil)
            #expect(lines[1]["client"] == nil && lines[1]["status"] as? Int == 401)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("arguments: full writes the canonical, redacted arguments; omit leaves them out")
    func argumentModes() async throws {
        let full = AuditSettings(destination: .stderr, arguments: .full, redact: ["pass*"])
        try await ProxyHarness.with(audit: full) { proxy in
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call("create_issue")))?.status == 200)
            let line = try #require(await proxy.auditLines(count: 1).first)
            let arguments = try #require(line["arguments"] as? [String: Any])
            #expect(arguments["repo"] as? String == "acme/web" && arguments["password"] as? String == "[redacted]")
        }
        try await ProxyHarness.with(audit: AuditSettings(destination: .stderr, arguments: .omit)) { proxy in
            #expect(try await proxy.exchange(.post("/mcp/rpc", body: Self.call("create_issue")))?.status == 200)
            let line = try #require(await proxy.auditLines(count: 1).first)
            #expect(line["arguments"] == nil && line["arguments_sha256"] == nil && line["tool"] as? String == "create_issue")
        }
    }
}
