import Foundation
import ProxyTestSupport
import Testing

/// `mcp-auth-proxy stdio`, the real binary, against a real upstream on 127.0.0.1. (The official
/// SDKs drive it in Tests/Interop/stdio_interop.py.)
@Suite("mcp-auth-proxy stdio")
struct StdioCommandTests {
    static let secret = "stdio-test-secret-0123456789"

    func config(upstream: Int, path: String = "/rpc", extra: String = "") -> URL {
        writeConfig("""
        profiles:
          bridge:
            upstream_url: http://127.0.0.1:\(upstream)\(path)
            key_id: bridge-key
            secret_env: BRIDGE_SECRET
            listen_port: 8999
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """)
    }

    func bridge(_ config: URL) throws -> StdioBridgeProcess {
        try StdioBridgeProcess(config: config, environment: ["BRIDGE_SECRET": Self.secret])
    }

    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    @Test("each message is a signed POST with the session, the protocol version and SEP-2243 headers; EOF deletes the session and exits 0")
    func signedMessages() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port))
        bridge.send(Self.initialize)
        let initialized = try #require(await bridge.response(id: "1"))
        #expect((initialized["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-06-18")
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":"call","method":"tools/call","params":{"name":"evil\r\nX-Injected: 1","arguments":{}}}"#)
        let called = try #require(await bridge.response(id: #""call""#))
        #expect((called["result"] as? [String: Any])?["method"] as? String == "tools/call")
        // The GET stream's 405 is settled (the bridge will not ask again) before stdin closes.
        #expect(await bridge.log.wait(for: "stdio_no_server_stream").count == 1)
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)

        let received = upstream.received
        #expect(received.allSatisfy { $0.signatureValid }, "every exchange is signed")
        let call = try #require(received.first { $0.body.contains("tools/call") })
        func header(_ name: String) -> String? { call.headers.first { $0.0.lowercased() == name }?.1 }
        #expect(header("mcp-method") == "tools/call")
        #expect(header("mcp-name") == "=?base64?ZXZpbA0KWC1JbmplY3RlZDogMQ==?=", "CR and LF never reach a header raw")
        #expect(!call.headers.contains { $0.0.lowercased() == "x-injected" })
        #expect(header("mcp-session-id") == "rpc-session" && header("mcp-protocol-version") == "2025-06-18")
        #expect(header("accept") == "application/json, text/event-stream")
        #expect(received.filter { $0.method == "GET" }.count == 1, "one GET, refused with 405, not retried")
        let delete = try #require(received.last)
        #expect(delete.method == "DELETE" && delete.headers.contains { $0.0.lowercased() == "mcp-session-id" && $0.1 == "rpc-session" })
        #expect(bridge.messages.count == 2, "stdout carries the two responses and nothing else: \(bridge.stdout.all)")
        #expect(!bridge.log.all.joined().contains(Self.secret))
        await upstream.stop()
    }

    @Test("audit: the bridge's calls are audited as transport stdio, with their outcome; a call its tool policy refuses too")
    func audited() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("stdio-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = writeConfig("""
        audit:
          path: \(directory.path)/audit.jsonl
          arguments: full
          redact: [password]
        profiles:
          bridge:
            upstream_url: http://127.0.0.1:\(upstream.port)/rpc
            key_id: bridge-key
            secret_env: BRIDGE_SECRET
            listen_port: 8999
            tools: {deny: ["delete_*"]}
        """)
        let bridge = try bridge(config)
        bridge.send(Self.initialize)
        _ = await bridge.response(id: "1")
        bridge.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"failing_job","arguments":{"password":"p","n":1}}}"#)
        _ = await bridge.response(id: "2")
        bridge.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_repo","arguments":{}}}"#)
        _ = await bridge.response(id: "3")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        let lines = ((try? String(contentsOfFile: directory.path + "/audit.jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(lines.count == 2, "\(lines)")
        let call = try #require(lines.first { $0["tool"] as? String == "failing_job" })
        #expect(call["transport"] as? String == "stdio" && call["decision"] as? String == "forwarded" && call["upstream_status"] as? Int == 200)
        #expect(call["outcome"] as? String == "tool_error" && (call["arguments"] as? [String: Any])?["password"] as? String == "[redacted]")
        let refused = try #require(lines.first { $0["tool"] as? String == "delete_repo" })
        #expect(refused["transport"] as? String == "stdio" && refused["decision"] as? String == "tool_policy" && refused["upstream_status"] == nil)
        await upstream.stop()
    }

    @Test("lines that are not JSON, not JSON-RPC or too long get errors, reach nothing, and the bridge carries on")
    func badLines() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, extra: "max_request_body: 1KiB"))
        bridge.send("this is not json")
        bridge.send("")
        bridge.send(#"{"id":2,"method":"ping"}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":""# + String(repeating: "x", count: 2000) + #""}}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#)
        let answered = try #require(await bridge.response(id: "4"))
        #expect((answered["result"] as? [String: Any])?["method"] as? String == "ping")
        let errors = bridge.messages.compactMap { $0["error"] as? [String: Any] }
        #expect(errors.map { $0["code"] as? Int } == [-32700, -32600, -32600], "\(bridge.stdout.all)")
        #expect(bridge.messages.prefix(3).map { $0["id"] is NSNull ? "null" : (StdioBridgeProcess.idText($0["id"]) ?? "?") } == ["null", "2", "3"],
                "the oversized line is answered with the id its start shows")
        #expect(upstream.received.count == 1, "only the valid ping went upstream")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("an unreachable upstream or one past request_timeout: an error response naming the profile, for requests only")
    func failures() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let slow = try bridge(config(upstream: upstream.port, extra: "request_timeout: 300ms"))
        slow.send(#"{"jsonrpc":"2.0","id":9,"method":"slow"}"#)
        let timedOut = try #require(await slow.response(id: "9"))
        let message = (timedOut["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("profile bridge") && message.contains("request_timeout"), "\(message)")
        slow.closeInput()
        #expect(await slow.exitStatus() == 0)

        let port = upstream.port
        await upstream.stop()
        let dead = try bridge(config(upstream: port))
        dead.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        dead.send(#"{"jsonrpc":"2.0","id":"x","method":"ping"}"#)
        let unreachable = try #require(await dead.response(id: #""x""#))
        let error = try #require(unreachable["error"] as? [String: Any])
        #expect(error["code"] as? Int == -32000)
        #expect((error["message"] as? String)?.contains("upstream unreachable") == true, "\(error)")
        #expect(await dead.log.wait(for: "stdio_request_failed", count: 2).count == 2)
        #expect(dead.messages.count == 1, "the notification gets no answer, only a log line")
        dead.closeInput()
        #expect(await dead.exitStatus() == 0)
    }

    @Test("session expired: a 404 inside a session is an error, and the next initialize starts a fresh session")
    func sessionExpired() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/rpc-expiring"))
        bridge.send(Self.initialize)
        _ = try #require(await bridge.response(id: "1"))
        bridge.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)
        let expired = try #require(await bridge.response(id: "2"))
        let error = try #require(expired["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("session expired") == true, "\(error)")
        #expect((error["data"] as? [String: Any])?["status"] as? Int == 404)
        bridge.send(Self.initialize.replacingOccurrences(of: #""id":1"#, with: #""id":3"#))
        let again = try #require(await bridge.response(id: "3"))
        #expect(again["result"] != nil, "the new initialize goes out without the dead session id")
        let reinitialize = try #require(upstream.received.last { $0.body.contains(#""id":3"#) })
        #expect(!reinitialize.headers.contains { $0.0.lowercased() == "mcp-session-id" })
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("after initialized the GET stream opens; a dropped stream is reopened with Last-Event-ID and its messages reach stdout")
    func serverStream() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/rpc-streaming"))
        bridge.send(Self.initialize)
        _ = try #require(await bridge.response(id: "1"))
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        await eventually(within: 10, polling: .milliseconds(50)) { upstream.received.filter { $0.method == "GET" }.count >= 3 }
        let gets = upstream.received.filter { $0.method == "GET" }
        #expect(gets.count >= 3, "reconnected after each drop")
        func lastEventID(_ get: TestUpstream.Received) -> String? { get.headers.first { $0.0.lowercased() == "last-event-id" }?.1 }
        #expect(gets.map(lastEventID).prefix(3) == [nil, "2", "4"], "\(gets.map(lastEventID))")
        #expect(gets.allSatisfy { $0.signatureValid && $0.headers.contains { $0.0.lowercased() == "mcp-session-id" && $0.1 == "rpc-session" } })
        let notes = bridge.messages.compactMap { ($0["params"] as? [String: Any])?["data"] as? String }
        #expect(Array(notes.prefix(6)) == (1...6).map { "event \($0)" }, "\(notes)")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("a tools/list response replayed on the bridge's GET stream reaches stdout filtered")
    func toolListReplayedOnServerStream() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/rpc-replaying", extra: "tools:\n  deny: [\"*delete*\"]"))
        bridge.send(Self.initialize)
        _ = try #require(await bridge.response(id: "1"))
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        let replayed = try #require(await bridge.response(id: "3"))
        let names = ((replayed["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["search_issues", "get_issue"])
        #expect(!bridge.stdout.all.joined().contains("delete_repo"))
        #expect(upstream.received.contains { $0.method == "GET" }, "the list came on the GET stream")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("the profile's tool policy holds through the bridge: a refused call is answered locally and never sent")
    func toolPolicy() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, extra: "tools:\n  deny: [\"*delete*\"]"))
        bridge.send(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"del\u0065te_repo","arguments":{}}}"#)
        let refused = try #require(await bridge.response(id: "5"))
        let error = try #require(refused["error"] as? [String: Any])
        #expect(error["code"] as? Int == -32602)
        #expect((error["message"] as? String)?.contains(#"tool "delete_repo" is not allowed by the tool policy of profile bridge"#) == true, "\(error)")
        bridge.send(#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"a","name":"delete_repo"}}"#)
        let ambiguous = try #require(await bridge.response(id: "6"))
        #expect((ambiguous["error"] as? [String: Any])?["code"] as? Int == -32600)
        bridge.send(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{}}}"#)
        #expect(try #require(await bridge.response(id: "7"))["result"] != nil)
        #expect(upstream.received.count == 1 && upstream.received[0].body.contains("search"), "only the allowed call went upstream")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("the bridge filters tools/list like the listener, from JSON and event-stream responses", arguments: ["json", "sse"])
    func toolListFiltered(_ framing: String) async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/tools-\(framing)", extra: "tools:\n  deny: [\"*delete*\"]"))
        bridge.send(#"{"jsonrpc":"2.0","id":"l1","method":"tools/list","params":{}}"#)
        let response = try #require(await bridge.response(id: #""l1""#))
        let result = try #require(response["result"] as? [String: Any])
        let names = (result["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["search_issues", "get_issue"])
        #expect(result["nextCursor"] as? String == "page-2")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("decoy answers before the real list, a byte order mark or a coded stream never show the bridge's client a refused tool",
          .serialized, arguments: TestUpstream.ToolListDecoy.allCases)
    func toolListDecoys(_ decoy: TestUpstream.ToolListDecoy) async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/tools-decoy-\(decoy.rawValue)", extra: "tools:\n  deny: [\"*delete*\"]"))
        bridge.send(#"{"jsonrpc":"2.0","id":"l1","method":"tools/list","params":{}}"#)
        let first = try #require(await bridge.response(id: #""l1""#))
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        #expect(!bridge.stdout.all.joined().contains("delete"), "\(bridge.stdout.all)")
        let answers = bridge.messages.filter { StdioBridgeProcess.idText($0["id"]) == #""l1""# }
        if decoy == .gzip {
            #expect(((first["error"] as? [String: Any])?["message"] as? String)?.contains("Content-Encoding") == true, "\(first)")
        } else {
            let names = ((answers.last?["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["search_issues", "get_issue"], "\(answers)")
        }
        await upstream.stop()
    }

    static let modernMeta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#

    @Test("a 2026-07-28 message goes out with its revision and no session; Mcp-Param headers from the list; no GET stream")
    func modernMessages() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port))
        bridge.send(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{\#(Self.modernMeta)}}"#)
        _ = try #require(await bridge.response(id: "1"))
        bridge.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{\#(Self.modernMeta)}}"#)
        let listed = try #require(await bridge.response(id: "2"))
        let tools = ((listed["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(tools == ["route"], "the tool with an invalid x-mcp-header is dropped: \(listed)")
        bridge.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"route","arguments":{"region":"eu 1 ü"},\#(Self.modernMeta)}}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":4,"method":"tasks/get","params":{"taskId":"task-7",\#(Self.modernMeta)}}"#)
        _ = try #require(await bridge.response(id: "3"))
        _ = try #require(await bridge.response(id: "4"))
        try await Task.sleep(for: .milliseconds(300))
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)

        let received = upstream.received
        #expect(received.map(\.method) == ["POST", "POST", "POST", "POST"], "no GET stream, no DELETE: \(received.map(\.method))")
        for request in received {
            #expect(request.headers.contains { $0.0.lowercased() == "mcp-protocol-version" && $0.1 == "2026-07-28" })
            #expect(!request.headers.contains { $0.0.lowercased() == "mcp-session-id" })
        }
        func header(_ name: String, of method: String) -> String? {
            received.first { $0.body.contains(#""method":"\#(method)""#) }?.headers.first { $0.0.lowercased() == name }?.1
        }
        #expect(header("mcp-param-region", of: "tools/call") == "=?base64?ZXUgMSDDvA==?=")
        #expect(header("mcp-name", of: "tools/call") == "route")
        #expect(header("mcp-name", of: "tasks/get") == "task-7")
        #expect(header("mcp-method", of: "server/discover") == "server/discover")
        await upstream.stop()
    }

    @Test("a 2026-07-28 cancellation closes the request's exchange and is not forwarded; a 2025 one is, and the id may be reused")
    func cancellationPerRevision() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        // The slow call never answers: only request_timeout could answer it. The timeout leaves a
        // loaded machine (CI, a build beside the tests) seconds to deliver the cancellation.
        let bridge = try bridge(config(upstream: upstream.port, extra: "request_timeout: 2s"))
        bridge.send(#"{"jsonrpc":"2.0","id":9,"method":"slow","params":{\#(Self.modernMeta)}}"#)
        let sent = ContinuousClock.now
        #expect(await eventually { upstream.received.contains { $0.body.contains(#""method":"slow""#) } }, "the call is in flight")
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,\#(Self.modernMeta)}}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":10,"method":"ping","params":{\#(Self.modernMeta)}}"#)
        _ = try #require(await bridge.response(id: "10"))
        try await Task.sleep(until: sent + .milliseconds(2800))
        #expect(bridge.messages.allSatisfy { StdioBridgeProcess.idText($0["id"]) != "9" }, "a cancelled request gets no answer, not even the timeout's")
        #expect(!upstream.received.contains { $0.body.contains("notifications/cancelled") }, "over HTTP, 2026-07-28 cancels by closing the stream")

        // 2025: the cancellation is forwarded; a request answered after it was cancelled leaves
        // nothing behind, so a later request with the same id still gets its error.
        bridge.send(Self.initialize)
        _ = try #require(await bridge.response(id: "1"))
        bridge.send(#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#)
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}"#)
        #expect(await eventually { upstream.received.contains { $0.body.contains("notifications/cancelled") } })
        let before = bridge.messages.count
        bridge.send(#"{"jsonrpc":"2.0","id":5,"method":"slow"}"#)
        let failed = await eventuallyValue(polling: .milliseconds(50)) {
            bridge.messages.dropFirst(before).first { StdioBridgeProcess.idText($0["id"]) == "5" }
        }
        #expect((failed?["error"] as? [String: Any])?["code"] as? Int == -32000, "the reused id gets its timeout error: \(bridge.stdout.all)")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("requests in flight are bounded by max_upstream_connections; the rest wait their turn and all are answered")
    func boundedConnections() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/delay", extra: "max_upstream_connections: 2"))
        for id in 1...8 { bridge.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#) }
        for id in 1...8 { _ = try #require(await bridge.response(id: String(id)), "request \(id) is answered") }
        #expect(upstream.received.count == 8)
        #expect(upstream.connectionCount <= 2, "at most two upstream connections at once: \(upstream.connectionCount)")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("a request cancelled while it waits for a connection is never sent, nor is its cancellation")
    func cancelledWhileQueued() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/delay", extra: "max_upstream_connections: 1"))
        bridge.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)
        bridge.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}"#)
        bridge.send(#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#)
        _ = try #require(await bridge.response(id: "1"))
        _ = try #require(await bridge.response(id: "3"))
        let sent = upstream.received.map(\.body)
        #expect(sent.count == 2 && !sent.contains { $0.contains(#""id":2"#) || $0.contains("notifications/cancelled") }, "\(sent)")
        #expect(bridge.messages.allSatisfy { StdioBridgeProcess.idText($0["id"]) != "2" }, "a cancelled request gets no answer")
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("a tools/list response that names a key twice gets an error, never the list")
    func toolListNamingAKeyTwice() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port, path: "/tools-twice", extra: "tools:\n  deny: [\"*delete*\"]"))
        bridge.send(#"{"jsonrpc":"2.0","id":"l1","method":"tools/list","params":{}}"#)
        let response = try #require(await bridge.response(id: #""l1""#))
        #expect((response["error"] as? [String: Any])?["code"] as? Int == -32603, "\(response)")
        #expect(!bridge.stdout.all.joined().contains("delete_repo"))
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        await upstream.stop()
    }

    @Test("stdout redirected to a regular file: a clear error and exit 1, not a trap")
    func regularFileOutput() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("stdio-out-" + UUID().uuidString)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = try ChildProcess(ProxyProcess.binary.path, ["stdio", "--config", config(upstream: 1).path], environment: ["BRIDGE_SECRET": Self.secret],
                                       stdin: .pipe, stdout: .file(try FileHandle(forWritingTo: output)))
        let logged = String(decoding: process.errors!.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(logged.contains("stdin and stdout must be pipes, sockets or a terminal"), "\(logged)")
    }

    @Test("SIGTERM ends the bridge with status 0 after deleting the session")
    func terminate() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let bridge = try bridge(config(upstream: upstream.port))
        bridge.send(Self.initialize)
        _ = try #require(await bridge.response(id: "1"))
        bridge.process.terminate()
        #expect(await bridge.exitStatus() == 0)
        #expect(upstream.received.last?.method == "DELETE")
        #expect(await bridge.log.wait(for: "stdio_stopped").count == 1)
        await upstream.stop()
    }

    @Test("a config with several profiles needs --profile (exit 64); an invalid one exits 78")
    func usage() throws {
        let two = writeConfig("""
        profiles:
          a: {upstream_url: "http://127.0.0.1:1/mcp", key_id: k, secret_env: BRIDGE_SECRET, listen_port: 8998}
          b: {upstream_url: "http://127.0.0.1:1/mcp", key_id: k, secret_env: BRIDGE_SECRET, listen_port: 8997}
        """)
        let several = try ProxyProcess.run(["stdio", "--config", two.path], environment: ["BRIDGE_SECRET": Self.secret])
        #expect(several.status == 64)
        #expect(several.stderr.contains("choose one with --profile (a, b)"), "\(several.stderr)")
        #expect(several.stdout.isEmpty)
        let invalid = try ProxyProcess.run(["stdio", "--config", two.path, "--profile", "a"])
        #expect(invalid.status == 78)
        #expect(invalid.stdout.isEmpty, "stdout carries only MCP messages, never a diagnostic")
    }
}

/// Backpressure: a client that does not read stdout stops the bridge reading the upstream.
@Suite("mcp-auth-proxy stdio: backpressure")
struct StdioBackpressureTests {
    @Test("while the client reads nothing, the upstream's event stream stalls and the bridge's memory stays bounded")
    func clientNotReading() async throws {
        let upstream = try await TestUpstream(secret: StdioCommandTests.secret)
        let config = StdioCommandTests().config(upstream: upstream.port, path: "/rpc-firehose")
        let process = try ChildProcess(ProxyProcess.binary.path, ["stdio", "--config", config.path],
                                       environment: ["BRIDGE_SECRET": StdioCommandTests.secret, "PATH": "/usr/bin:/bin"],
                                       stdin: .pipe, stdout: .pipe /* never read */, stderr: .null)
        process.input!.write(Data(#"{"jsonrpc":"2.0","id":1,"method":"flood"}"#.utf8 + [0x0A]))
        try await Task.sleep(for: .seconds(3))
        let stalledAt = upstream.streamedBytes
        try await Task.sleep(for: .seconds(1))
        let residentKiB = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        process.signal(SIGKILL)
        process.waitUntilExit()
        await upstream.stop()
        #expect(stalledAt > 0, "the stream started")
        #expect(stalledAt < 16 << 20, "the upstream was held back: \(stalledAt) bytes sent while the client read nothing")
        #expect(upstream.streamedBytes - stalledAt < 1 << 20, "and stays stalled")
        #expect(residentKiB > 0 && residentKiB < 96 * 1024, "resident memory \(residentKiB) KiB")
    }
}
