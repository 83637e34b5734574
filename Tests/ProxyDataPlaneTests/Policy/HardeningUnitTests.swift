@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The parsers and rules behind the hardening fixes, without sockets.
@Suite("hardening: parsers and rules")
struct HardeningUnitTests {
    @Test("every answer to a requested id is filtered: a second one in a JSON batch too")
    func secondAnswerInBatch() throws {
        var filter = try #require(ToolListFilterTests.filter(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#))
        let decoy = #"{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}"#
        let batch = try #require(JSONNode.parse(Array(("[" + decoy + "," + TestUpstream.toolListResponse(id: "7") + "]").utf8)))
        let result = filter.filter(batch)
        let filtered = try #require(result)
        #expect(!filtered.serialized.contains("delete"))
        // And again later in the stream: still the same request's id.
        let again = try #require(JSONNode.parse(Array(TestUpstream.toolListResponse(id: "7").utf8)))
        #expect(filter.filter(again).map(ToolListFilterTests.names) == ["search_issues", "get_issue"])
    }

    @Test("a tool without a string name is not shown: the policy cannot match it")
    func namelessTool() throws {
        var filter = try #require(ToolListFilterTests.filter(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))
        let response = try #require(JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ok"},{"name":["delete_x"]},{"title":"x"}]}}"#.utf8)))
        #expect(filter.filter(response).map(ToolListFilterTests.names) == ["ok"])
    }

    @Test("a stream starting with a byte order mark split across reads is read like one without it")
    func byteOrderMarkSplit() {
        let stream = "\u{FEFF}data: " + TestUpstream.toolListResponse(id: "7") + "\n\n"
        let bytes = Array(stream.utf8)
        for cut in 1..<5 {
            var filter = EventStreamToolListFilter(filter: ToolListFilterTests.filter(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#)!, limit: 1 << 20, profile: "p")
            var out = ""
            for piece in [Array(bytes[..<cut]), Array(bytes[cut...])] {
                if case .relay(let relayed?) = filter.feed(ByteBuffer(bytes: piece)) { out += String(buffer: relayed) }
            }
            if case .relay(let last?) = filter.finish() { out += String(buffer: last) }
            #expect(!out.contains("delete") && out.hasPrefix("data: "), "cut at \(cut): \(out)")
        }
    }

    @Test("Host needs a name and a port of 1-65535 when it has one: 400 otherwise, 403 for another name")
    func hostPorts() {
        let policy = OriginPolicy(listenHost: "127.0.0.1", allowRemote: false, allowedOrigins: [])
        let remote = OriginPolicy(listenHost: "0.0.0.0", allowRemote: true, allowedOrigins: [])
        for host in ["127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:", "", ":8931", "[::1]:", "[::1]:0", "localhost:123456", "localhost:-1"] {
            #expect(policy.hostVerdict(host) == .malformed, "\(host)")
            #expect(remote.hostVerdict(host) == .malformed, "allow_remote checks the form too: \(host)")
        }
        #expect(policy.hostVerdict(nil) == .malformed)
        for host in ["127.0.0.1:1", "127.0.0.1:65535", "localhost:08931", "[::1]:8931", "127.0.0.1"] { #expect(policy.hostVerdict(host) == .accepted, "\(host)") }
        #expect(policy.hostVerdict("evil.example:8931") == .notThisProxy)
        #expect(remote.hostVerdict("mcp.example.com:443") == .accepted)
    }

    @Test("a JSON refusal says what was wrong: invalid UTF-8, a lone surrogate, nesting past the limit, a key named twice")
    func parseFailureReasons() {
        func failure(_ bytes: [UInt8], strict: Bool = true) -> JSONNode.ParseFailure? {
            if case .failure(let reason) = JSONNode.parsing(bytes, rejectingDuplicateKeys: strict) { return reason }
            return nil
        }
        #expect(failure(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)) == .invalidUTF8(at: 6))
        #expect(failure(Array(#"{"a":"\ud800"}"#.utf8)) == .loneSurrogate(at: 6))
        #expect(failure(Array(#"{"a":"\udc00x"}"#.utf8)) == .loneSurrogate(at: 6))
        #expect(failure(Array(#"{"a":1,"a":2}"#.utf8)) == .duplicateKey("a"))
        #expect(failure(Array(#"{"a":1,"a":2}"#.utf8), strict: false) == nil)
        #expect(failure(Array(#"{"a":}"#.utf8)) == .malformed(at: 5))
        let deep = String(repeating: "[", count: JSONNode.maximumDepth + 1) + String(repeating: "]", count: JSONNode.maximumDepth + 1)
        #expect(failure(Array(deep.utf8)) == .tooDeep)
        // A deep tool schema, as real ones are not: still well inside the limit.
        let schema = String(repeating: #"{"type":"object","properties":{"x":"#, count: 100) + "{}" + String(repeating: "}}", count: 100)
        #expect(JSONNode.parse(Array(schema.utf8)) != nil)
        let call = Array((#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":"# + schema + "}}").utf8)
        #expect(call.withUnsafeBytes { JSONRPCBodyCheck.check($0) } != .parseError)
        #expect("\(JSONNode.ParseFailure.loneSurrogate(at: 6))".contains("surrogate"))
        #expect(JSONRPCBodyCheck.maximumDepth == JSONNode.maximumDepth, "the body check and the policy's parser nest alike")
    }

    @Test("the tool policy names what it could not read: invalid UTF-8 and a lone surrogate are not called duplicate keys")
    func policyReasons() throws {
        let head = try ToolPolicyRobustnessTests.postHead()
        let policy = ToolPolicy(allow: nil, deny: ["*delete*"])
        let invalid = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"dele"#.utf8) + [0xC0, 0xAF] + Array(#"te"}}"#.utf8)
        let surrogate = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete\ud800"}}"#.utf8)
        let twice = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"delete"}}"#.utf8)
        for (body, expected) in [(invalid, "not UTF-8"), (surrogate, "surrogate"), (twice, "twice")] {
            guard case .ambiguous(let reason) = ToolCallCheck.verdict(body: ByteBuffer(bytes: body), head: head, policy: policy) else {
                Issue.record("not refused: \(expected)")
                continue
            }
            #expect(reason.contains(expected), "\(reason)")
        }
    }

    @Test("credentials in an error body are replaced, a value cut off at the end of a truncated body too")
    func redaction() {
        var redaction = CredentialRedaction()
        redaction.add(Array("s3cret-token-value".utf8))
        redaction.add(Array("ab/cd+ef==".utf8))
        #expect(String(decoding: redaction.redact(Array("auth: Bearer s3cret-token-value; ok".utf8)), as: UTF8.self) == "auth: Bearer [redacted]; ok")
        #expect(String(decoding: redaction.redact(Array(#"{"sig":"ab\/cd+ef=="}"#.utf8)), as: UTF8.self) == #"{"sig":"[redacted]"}"#)
        #expect(String(decoding: redaction.redact(Array("x: s3cret-tok".utf8), truncated: true), as: UTF8.self) == "x: [redacted]")
        #expect(String(decoding: redaction.redact(Array("x: s3cret-tok".utf8), truncated: false), as: UTF8.self) == "x: s3cret-tok")
    }
}
