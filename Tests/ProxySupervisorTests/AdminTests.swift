import Foundation
import ProxyAdmin
import ProxyConfig
import ProxyLogging
import ProxySupervisor
import ProxyTestSupport
import Testing

/// The admin listener of a real supervisor: endpoints, readiness through a drain, and counters
/// that match what a client sent through real sockets.
@Suite("admin listener")
struct AdminTests {
    static let secret = "admin-secret-0123456789abcdef"

    struct Running {
        let task: Task<Void, any Error>
        let proxyPort: Int
        /// Profile `down`, whose upstream refuses connections.
        let downPort: Int
        let adminPort: Int

        func admin(_ request: String) async throws -> ParsedResponse? {
            let client = try await RawHTTPClient(port: adminPort)
            defer { Task { await client.close() } }
            try await client.send(request)
            return await client.response()
        }

        /// The exposition's samples, by everything before the value.
        func samples() async throws -> [String: Double] {
            PrometheusText.samples(try await admin(.get("/metrics"))?.body ?? "")
        }
    }

    /// A supervisor serving profile `p` (plus `down`, whose upstream refuses connections) with the
    /// admin listener on an ephemeral port; returns once /readyz says ready.
    func start(upstream: TestUpstream, log: LogSink) async throws -> Running {
        for _ in 0..<3 {
            let ports = try [TestPorts.free(), TestPorts.free(), TestPorts.free()]
            let refused = try TestPorts.free()
            func profile(_ name: String, port: Int, upstreamPort: Int) -> (String, LoadedConfig.Keys) {
                (name, [("upstream_url", "http://127.0.0.1:\(upstreamPort)/\(name)"), ("key_id", "\(name)-key"), ("secret_env", "S"),
                        ("listen_port", "\(port)"), ("upstream_streaming", "on")])
            }
            let yaml = LoadedConfig.yaml(profiles: [profile("p", port: ports[0], upstreamPort: upstream.port), profile("down", port: ports[1], upstreamPort: refused)],
                                         admin: [("listen_port", "\(ports[2])")])
            let config = try LoadedConfig.load(yaml, environment: ["S": Self.secret])
            let supervisor = Supervisor(config: config, threads: 1, log: log)
            let task = Task { try await supervisor.run() }
            if await eventually(within: 10, polling: .milliseconds(20), { supervisor.adminPort.value != 0 && supervisor.readiness.isReady }) {
                return Running(task: task, proxyPort: ports[0], downPort: ports[1], adminPort: supervisor.adminPort.value)
            }
            task.cancel()
            try? await task.value
        }
        throw StartFailed()
    }

    struct StartFailed: Error {}

    func withProxy(_ body: (Running, TestUpstream) async throws -> Void) async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let log = LogSink(minimumLevel: .error, fileDescriptor: open("/dev/null", O_WRONLY))
        let running = try await start(upstream: upstream, log: log)
        do {
            try await body(running, upstream)
        } catch {
            running.task.cancel()
            try? await running.task.value
            throw error
        }
        running.task.cancel()
        try? await running.task.value
        log.shutdown()
        await upstream.stop()
    }

    @Test("a DNS-rebinding page cannot read /metrics: a foreign Host is 403, a bad one 400, a foreign Origin 403")
    func rebinding() async throws {
        try await withProxy { running, _ in
            let foreign = try await running.admin(.get("/metrics", host: "rebind.evil.example:9464"))
            #expect(foreign?.status == 403 && foreign?.body.contains("proxy_requests_total") == false)
            let malformed = try await running.admin(.get("/metrics", host: "127.0.0.1:0"))
            #expect(malformed?.status == 400)
            let crossSite = try await running.admin(.get("/metrics", headers: ["Origin: http://rebind.evil.example"]))
            #expect(crossSite?.status == 403)
            let loopback = try await running.admin(.get("/healthz", host: "localhost:9464"))
            #expect(loopback?.status == 200)
            // An HTTP/1.0 health check (HAProxy's httpchk) sends no Host: answered.
            let probe = try await running.admin("GET /readyz HTTP/1.0\r\n\r\n")
            #expect(probe?.status == 200)
        }
    }

    @Test("/healthz and /readyz answer JSON; other paths are 404 and other methods 405")
    func endpoints() async throws {
        try await withProxy { running, _ in
            let health = try #require(try await running.admin(.get("/healthz")))
            #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
            let ready = try #require(try await running.admin(.get("/readyz?verbose=1")))
            #expect(ready.status == 200)
            #expect(ready.body == #"{"status":"ready","profiles":{"p":"ready","down":"ready"}}"#)
            #expect(try await running.admin(.get("/")).map(\.status) == 404)
            let post = try #require(try await running.admin(.post("/metrics")))
            #expect(post.status == 405 && post.headers.contains { $0.0.lowercased() == "allow" && $0.1 == "GET, HEAD" })
            let metrics = try #require(try await running.admin(.get("/metrics")))
            #expect(metrics.headers.contains { $0.0.lowercased() == "content-type" && $0.1 == "text/plain; version=0.0.4; charset=utf-8" })
        }
    }

    @Test("the counters match what was sent: requests, RPC methods, rejections, upstream errors, streams")
    func countersMatch() async throws {
        try await withProxy { running, _ in
            let client = try await RawHTTPClient(port: running.proxyPort)
            for index in 1...5 {
                try await client.send(.post(body: #"{"jsonrpc":"2.0","id":\#(index),"method":"tools/call","params":{"name":"x"}}"#))
                await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count - 1 == index }
            }
            await client.close()
            for request: String in [.post(headers: ["Origin: https://evil.example"]), .get("/.well-known/oauth-protected-resource"),
                            .post(body: "{not json")] {
                let rejected = try await RawHTTPClient(port: running.proxyPort)
                try await rejected.send(request)
                _ = await rejected.response()
                await rejected.close()
            }
            let stream = try await RawHTTPClient(port: running.proxyPort)
            try await stream.send(.get("/mcp/sse"))
            _ = await stream.waitFor { $0.contains("\r\n\r\n") }
            var samples = try await running.samples()
            #expect(samples[#"mcp_auth_proxy_open_streams{profile="p"}"#] == 1, "the stream is open")
            await stream.close()
            // Waits for the proxy to see the close (the gauge drops), not for a time.
            #expect(await eventually { (try? await running.samples())?[#"mcp_auth_proxy_open_streams{profile="p"}"#] == 0 })
            // The cut stream closed its upstream connection; one more request leaves one idle.
            let last = try await RawHTTPClient(port: running.proxyPort)
            try await last.send(.post())
            #expect(await last.response()?.status == 200)
            await last.close()

            samples = try await running.samples()
            #expect(samples[#"mcp_auth_proxy_requests_total{profile="p",method="POST",code="200"}"#] == 6)
            #expect(samples[#"mcp_auth_proxy_rpc_requests_total{profile="p",rpc_method="tools/call"}"#] == 5)
            #expect(samples[#"mcp_auth_proxy_rpc_requests_total{profile="p",rpc_method="tools/list"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_rejected_requests_total{profile="p",reason="origin"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_rejected_requests_total{profile="p",reason="discovery"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_rejected_requests_total{profile="p",reason="bad_json"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_requests_total{profile="p",method="POST",code="403"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_open_streams{profile="p"}"#] == 0, "and gone after")
            #expect(samples[#"mcp_auth_proxy_request_duration_seconds_count{profile="p"}"#] == 10)
            #expect(samples[#"mcp_auth_proxy_upstream_response_seconds_count{profile="p"}"#] == 7)
            #expect(samples[#"mcp_auth_proxy_upstream_connections{profile="p",state="active"}"#] == 0)
            #expect(samples[#"mcp_auth_proxy_upstream_connections{profile="p",state="idle"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_listener_ready{profile="p"}"#] == 1)
            #expect(!samples.keys.contains { $0.contains("evil") || $0.contains("well-known") }, "no header value or path becomes a label")
        }
    }

    @Test("an upstream that refuses connections is counted as a connect error with a 502")
    func upstreamErrors() async throws {
        try await withProxy { running, _ in
            let client = try await RawHTTPClient(port: running.downPort)
            try await client.send(.post())
            #expect(await client.response()?.status == 502)
            await client.close()
            let samples = try await running.samples()
            #expect(samples[#"mcp_auth_proxy_upstream_errors_total{profile="down",kind="connect"}"#] == 1)
            #expect(samples[#"mcp_auth_proxy_requests_total{profile="down",method="POST",code="502"}"#] == 1)
            #expect(!samples.keys.contains { $0.hasPrefix("mcp_auth_proxy_rejected_requests_total{profile=\"down\"") })
        }
    }

    @Test("/readyz turns 503 draining as soon as shutdown begins, while a request still drains")
    func drainingIsNotReady() async throws {
        try await withProxy { running, upstream in
            let slow = try await RawHTTPClient(port: running.proxyPort)
            try await slow.send(.post("/mcp/delay"))
            #expect(await eventually { upstream.received.contains { $0.target.hasSuffix("/delay") } }, "the request is in flight")
            running.task.cancel()
            let drained = await eventuallyValue {
                (try? await running.admin(.get("/readyz"))).flatMap { $0?.status == 503 ? $0 : nil }
            }
            #expect(drained?.body.contains(#""status":"draining""#) == true, "\(String(describing: drained))")
            #expect(await slow.response()?.status == 200, "the request in flight still completes")
            await slow.close()
        }
    }
}
