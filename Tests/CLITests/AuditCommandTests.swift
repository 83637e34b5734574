import Foundation
import ProxyTestSupport
import Testing

/// The audit trail on the real binary: logrotate's move and SIGHUP or SIGUSR1, a reload that
/// changes the block, a graceful stop that loses no line, and an audit file that cannot be opened.
@Suite("mcp-auth-proxy audit trail")
struct AuditCommandTests {
    static let secret = "audit-secret-0123456789abcdef"

    static func yaml(_ directory: URL, port: Int, upstream: TestUpstream, arguments: String = "sha256") -> String {
        """
        audit:
          path: \(directory.path)/audit.jsonl
          arguments: \(arguments)
        profiles:
          audited:
            upstream_url: http://127.0.0.1:\(upstream.port)/mcp/rpc
            key_id: audit-key
            secret_env: AUDIT_SECRET
            listen_port: \(port)
        """
    }

    static func call(_ port: Int, tool: String) async throws -> Int? {
        let client = try await RawHTTPClient(port: port)
        try await client.send(.post(body: #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\#(tool)","arguments":{"n":1}}}"#))
        let status = await client.response()?.status
        await client.close()
        return status
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("logrotate moves the file and signals (SIGUSR1, then SIGHUP): no line lost, none in the wrong file; a reload switches to full arguments; the stop flushes")
    func rotation() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let upstream = try await TestUpstream(secret: Self.secret)
        let port = try TestPorts.free()
        let config = directory.appendingPathComponent("proxy.yaml")
        try Self.yaml(directory, port: port, upstream: upstream).write(to: config, atomically: true, encoding: .utf8)
        let process = try ProxyProcess(["--config", config.path], environment: ["AUDIT_SECRET": Self.secret])
        let log = LogLines(process.stderr)
        #expect(await log.wait(for: "listening", timeout: 20).count == 1, "\(log.all)")
        let path = directory.path + "/audit.jsonl"
        let pid = process.process.processIdentifier

        #expect(try await Self.call(port, tool: "first") == 200)
        #expect(await eventually { Self.lines(path).count == 1 })
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        kill(pid, SIGUSR1)
        #expect(await eventually { FileManager.default.fileExists(atPath: path) })
        #expect(try await Self.call(port, tool: "second") == 200)
        #expect(await eventually { Self.lines(path).count == 1 })

        try FileManager.default.moveItem(atPath: path, toPath: path + ".2")
        try Self.yaml(directory, port: port, upstream: upstream, arguments: "full").write(to: config, atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        #expect(await log.wait(for: "config_reloaded").count == 1, "\(log.all)")
        for _ in 0..<5 { #expect(try await Self.call(port, tool: "third") == 200) }
        _ = process.terminate()
        #expect(Self.lines(path + ".1").map { $0.contains(#""tool":"first""#) } == [true])
        #expect(Self.lines(path + ".2").map { $0.contains(#""tool":"second""#) && $0.contains("arguments_sha256") } == [true])
        let last = Self.lines(path)
        #expect(last.count == 5 && last.allSatisfy { $0.contains(#""tool":"third""#) && $0.contains(#""arguments":{"n":1}"#) }, "\(last)")
        await upstream.stop()
    }

    @Test("an audit file that cannot be opened stops the start with the reason, before any listener serves")
    func unopenable() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let upstream = try await TestUpstream(secret: Self.secret)
        // A directory where the file should be: the open fails, whoever runs the test.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("audit.jsonl"), withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("proxy.yaml")
        try Self.yaml(directory, port: try TestPorts.free(), upstream: upstream).write(to: config, atomically: true, encoding: .utf8)
        let output = try ProxyProcess.run(["--config", config.path], environment: ["AUDIT_SECRET": Self.secret])
        #expect(output.status != 0)
        #expect(output.stderr.contains(#""event":"audit_open_failed""#) && output.stderr.contains("Is a directory"), "\(output.stderr)")
        #expect(!output.stderr.contains(#""event":"listening""#))
        await upstream.stop()
    }
}
