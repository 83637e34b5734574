import Foundation
import MCPMessages
import NIOCore
import ProxyConfig
import Testing
@testable import ProxyAudit

@Suite("audit: arguments and outcomes")
struct AuditArgumentsTests {
    static func settings(_ mode: AuditSettings.Arguments, redact: [String] = []) -> AuditArguments {
        AuditArguments(AuditSettings(destination: .stderr, arguments: mode, redact: redact))
    }

    static func parse(_ text: String) -> JSONNode { JSONNode.parse(Array(text.utf8))! }

    /// The reference: `sha256sum`, the coreutils program, over the same bytes.
    static func sha256Hex(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "audit-hash-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test("equal arguments hash equally however they are spaced, ordered or escaped; different ones differ")
    func canonicalHash() {
        let arguments = Self.settings(.sha256)
        let a = arguments.rendered(Self.parse(#"{"b": [1, {"y": true, "x": null}], "a": "caf\u00e9"}"#))
        let b = arguments.rendered(Self.parse(#"{"a":"café","b":[1,{"x":null,"y":true}]}"#))
        let c = arguments.rendered(Self.parse(#"{"a":"cafe","b":[1,{"x":null,"y":true}]}"#))
        #expect(a == b)
        #expect(a != c)
        guard case .sha256(let hex)? = a else { Issue.record("no hash"); return }
        #expect(hex.count == 64 && hex.allSatisfy { "0123456789abcdef".contains($0) })
        // The canonical text's SHA-256, as any other tool computes it (sha256sum of {"a":"café","b":[1,{"x":null,"y":true}]}).
        #expect(hex == "\(Self.sha256Hex(#"{"a":"café","b":[1,{"x":null,"y":true}]}"#))")
        #expect(Self.settings(.full).canonical(Self.parse(#"{"b":1,"a":{"d":2,"c":3}}"#)) == #"{"a":{"c":3,"d":2},"b":1}"#)
        // Keys sort by UTF-16 code units (RFC 8785): U+1F600, a surrogate pair starting D83D, before
        // U+E000, where code point order would put it after.
        #expect(Self.settings(.full).canonical(Self.parse(#"{"\ue000":2,"\ud83d\ude00":1}"#)) == "{\"\u{1F600}\":1,\"\u{E000}\":2}")
    }

    @Test("redacted keys, at any depth and in any case, are replaced before hashing or writing")
    func redaction() {
        let full = Self.settings(.full, redact: ["password", "*secret*"])
        let text = #"{"user":"ada","Password":"hunter2","nested":{"client_secret":"s3","list":[{"api_SECRET_key":"k"}]}}"#
        guard case .full(let written)? = full.rendered(Self.parse(text)) else { Issue.record("nothing written"); return }
        #expect(written == #"{"Password":"[redacted]","nested":{"client_secret":"[redacted]","list":[{"api_SECRET_key":"[redacted]"}]},"user":"ada"}"#)
        #expect(!written.contains("hunter2") && !written.contains("s3") && !written.contains(#""k""#))
        let hashed = Self.settings(.sha256, redact: ["password"])
        #expect(hashed.rendered(Self.parse(#"{"password":"a"}"#)) == hashed.rendered(Self.parse(#"{"password":"b"}"#)),
                "a redacted value cannot be guessed from the hash")
        #expect(Self.settings(.omit).rendered(Self.parse("{}")) == nil)
    }

    @Test("the calls of a request: tools, resources and prompts, one per message of a batch; others are not audited")
    func calls() throws {
        let arguments = Self.settings(.full)
        let body = #"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_issue","arguments":{"n":7}}},"# +
            #"{"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"file:///etc/hosts"}},"# +
            #"{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"x"}}}]"#
        let request = try #require(Array(body.utf8).withUnsafeBytes { AuditedRequest(body: $0, arguments: arguments) })
        #expect(request.calls.map(\.method) == ["tools/call", "resources/read", "prompts/get"])
        #expect(request.calls.map(\.target) == ["delete_issue", "file:///etc/hosts", "greet"])
        #expect(request.calls[0].arguments == .full(#"{"n":7}"#) && request.calls[1].arguments == nil)
        #expect(Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8).withUnsafeBytes { AuditedRequest(body: $0, arguments: arguments) } == nil)
    }

    @Test("outcomes: ok, isError, a JSON-RPC error code, from JSON and from the event that answers the call", arguments: [
        (#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#, false, AuditedRequest.Outcome.toolError),
        (#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#, false, .ok),
        (#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#, false, .error(code: "-32602")),
        (#"{"jsonrpc":"2.0","id":2,"result":{}}"#, false, .unknown("no answer with the call's id")),
        ("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"isError\":true}}\n\n" +
         "data: {\"jsonrpc\":\"2.0\",\"id\":1,\n" + "data: \"result\":{\"isError\":true}}\n\n", true, .toolError),
        ("not json", false, .unknown("no answer with the call's id")),
    ])
    func outcomes(_ response: String, _ isEventStream: Bool, _ expected: AuditedRequest.Outcome) throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}"#
        let request = try #require(Array(body.utf8).withUnsafeBytes { AuditedRequest(body: $0, arguments: Self.settings(.omit)) })
        // Split across reads, as a relay sees it.
        let bytes = Array(response.utf8)
        request.capture(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
        request.capture(ByteBuffer(bytes: bytes.dropFirst(bytes.count / 2)))
        #expect(request.outcomes(isEventStream: isEventStream) == [expected])
    }

    @Test("a response past the limit is not kept: its outcome is unknown, and says why")
    func largeResponse() throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}"#
        let request = try #require(Array(body.utf8).withUnsafeBytes { AuditedRequest(body: $0, arguments: Self.settings(.omit)) })
        for _ in 0...16 { request.capture(ByteBuffer(repeating: 0x20, count: AuditedRequest.responseLimit / 16)) }
        #expect(request.outcomes(isEventStream: false) == [.unknown("response over 1 MiB")])
    }
}
