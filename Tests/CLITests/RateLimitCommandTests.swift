import Foundation
import ProxyTestSupport
import Testing

/// `rate_limit:` on the real binary: a wrk run's accepted rate matches the limit, a polite client
/// beside it keeps its full rate, and a reload that changes the limits resets no bucket.
@Suite("mcp-auth-proxy rate limits")
struct RateLimitCommandTests {
    static let secret = "rate-secret-0123456789abcdef"
    static let alice = String(repeating: "a1", count: 20)
    static let bob = String(repeating: "b2", count: 20)

    struct Running {
        let process: ProxyProcess
        let log: LogLines
        let directory: URL
        var config: URL { directory.appendingPathComponent("proxy.yaml") }

        func stop() {
            _ = process.terminate()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func yaml(port: Int, upstream: TestUpstream, limit: String) -> String {
        """
        profiles:
          limited:
            upstream_url: http://127.0.0.1:\(upstream.port)/mcp
            key_id: rate-key
            secret_env: RATE_SECRET
            listen_port: \(port)
            client_auth: bearer
            client_tokens: [{name: alice, token_env: ALICE_TOKEN}, {name: bob, token_env: BOB_TOKEN}]
            rate_limit:
              per_client: \(limit)
        """
    }

    func start(port: Int, upstream: TestUpstream, limit: String) async throws -> Running {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("proxy.yaml")
        try Self.yaml(port: port, upstream: upstream, limit: limit).write(to: config, atomically: true, encoding: .utf8)
        let process = try ProxyProcess(["--config", config.path],
                                       environment: ["RATE_SECRET": Self.secret, "ALICE_TOKEN": Self.alice, "BOB_TOKEN": Self.bob])
        let running = Running(process: process, log: LogLines(process.stderr), directory: directory)
        #expect(await running.log.wait(for: "listening", timeout: 20).count == 1, "\(running.log.all)")
        return running
    }

    @Test("wrk as a runaway client: its accepted rate is the limit within 5%, and a polite client beside it gets every request through")
    func runawayUnderWrk() async throws {
        let wrk = try #require(ToolProcess.find("wrk"), "wrk is missing: apt-get install wrk (.ci/run installs it)")
        let upstream = try await TestUpstream(secret: Self.secret)
        let port = try TestPorts.free()
        let running = try await start(port: port, upstream: upstream, limit: "{requests: 200, per: 1s, burst: 10}")
        defer { running.stop() }
        let load = try WrkLoad(wrk: wrk, url: "http://127.0.0.1:\(port)/mcp", arguments: ["-t1", "-c8", "-d4s", "--timeout", "10s"],
                               headers: ["Authorization": "Bearer \(Self.alice)"])
        var politeStatuses: [Int] = []
        try await Task.sleep(for: .milliseconds(300))
        for _ in 0..<20 {
            let client = try await RawHTTPClient(port: port)
            try await client.send(.post(headers: ["Authorization: Bearer \(Self.bob)"]))
            politeStatuses.append(await client.response()?.status ?? 0)
            await client.close()
            try await Task.sleep(for: .milliseconds(100))
        }
        let report = try await load.report()
        let seconds = try #require(Self.duration(report), "\(report)")
        let accepted = upstream.received.filter { $0.body.contains(#""method":"ping""#) }.count
        let expected = 200 * seconds + 10
        #expect(abs(Double(accepted) - expected) <= 0.05 * expected, "accepted \(accepted) in \(seconds)s, expected \(expected): \(report)")
        #expect(WrkLoad.completed(report) > accepted * 2, "wrk was refused most of its requests: \(report)")
        #expect(politeStatuses == Array(repeating: 200, count: 20), "\(politeStatuses)")
        await upstream.stop()
    }

    @Test("a reload that changes the limit keeps a spent client spent, with the new Retry-After; a new client starts full")
    func reloadKeepsBuckets() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let port = try TestPorts.free()
        let running = try await start(port: port, upstream: upstream, limit: "{requests: 2, per: 1h}")
        defer { running.stop() }
        func send(_ token: String) async throws -> ParsedResponse? {
            let client = try await RawHTTPClient(port: port)
            try await client.send(.post(headers: ["Authorization: Bearer \(token)"]))
            let response = await client.response()
            await client.close()
            return response
        }
        #expect(try await send(Self.alice)?.status == 200)
        #expect(try await send(Self.alice)?.status == 200)
        #expect(try await send(Self.alice)?.header("retry-after") == "1800")
        try Self.yaml(port: port, upstream: upstream, limit: "{requests: 3, per: 1h}").write(to: running.config, atomically: true, encoding: .utf8)
        kill(running.process.process.processIdentifier, SIGHUP)
        #expect(await running.log.wait(for: "config_reloaded").count == 1, "\(running.log.all)")
        let refused = try #require(try await send(Self.alice))
        #expect(refused.status == 429 && refused.header("retry-after") == "1200", "\(refused.status) \(refused.headers)")
        #expect(try await send(Self.bob)?.status == 200)
        await upstream.stop()
    }

    /// wrk's run time, from its "N requests in 4.00s" line.
    static func duration(_ report: String) -> Double? {
        guard let line = report.split(separator: "\n").first(where: { $0.contains("requests in") }),
              let token = line.split(separator: " ").first(where: { $0.hasSuffix("s,") }) else { return nil }
        return Double(token.dropLast(2))
    }
}
