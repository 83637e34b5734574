import NIOPosix
import ProxyAdmin
import ProxyDataPlane
import ProxyMetrics
import ProxyTestSupport
import Testing

/// `AdminListener` and `AdminEndpoints` on their own, over real sockets: what each endpoint
/// answers, the DNS-rebinding and Origin rules, and `/readyz` following `Readiness`. The
/// supervisor's wiring of them (profiles, drain, counters) is `ProxySupervisorTests.AdminTests`.
@Suite("admin listener on its own")
struct AdminListenerTests {
    struct Served {
        let listener: AdminListener
        let readiness: Readiness
        let metrics: ProxyMetrics

        func ask(_ request: String) async throws -> ParsedResponse? {
            let client = try await RawHTTPClient(port: listener.localPort)
            try await client.send(request)
            let response = await client.response()
            await client.close()
            return response
        }
    }

    static let group = MultiThreadedEventLoopGroup.singleton

    func withListener(profiles: [String] = ["a", "b"], _ body: (Served) async throws -> Void) async throws {
        let readiness = Readiness(profiles: profiles)
        let metrics = ProxyMetrics()
        let endpoints = AdminEndpoints(readiness: readiness, metrics: metrics,
                                       hostPolicy: OriginPolicy(listenHost: "127.0.0.1", allowRemote: false, allowedOrigins: []))
        let listener = try await AdminListener.bind(host: "127.0.0.1", port: 0, group: Self.group, endpoints: endpoints)
        do {
            try await body(Served(listener: listener, readiness: readiness, metrics: metrics))
        } catch {
            await listener.close()
            throw error
        }
        await listener.close()
    }

    @Test("/readyz follows every profile: starting, ready only when all are, draining first")
    func readinessStates() async throws {
        try await withListener { served in
            var ready = try #require(try await served.ask(.get("/readyz")))
            #expect(ready.status == 503 && ready.body == #"{"status":"starting","profiles":{"a":"starting","b":"starting"}}"#)
            served.readiness.set(.ready, for: "a")
            #expect(try await served.ask(.get("/readyz"))?.status == 503, "one profile still starts")
            served.readiness.set(.ready, for: "b")
            ready = try #require(try await served.ask(.get("/readyz?verbose=1")))
            #expect(ready.status == 200 && ready.body == #"{"status":"ready","profiles":{"a":"ready","b":"ready"}}"#)
            served.readiness.set(.ready, for: "added")
            served.readiness.remove("b")
            #expect(try await served.ask(.get("/readyz"))?.body == #"{"status":"ready","profiles":{"a":"ready","added":"ready"}}"#)
            served.readiness.setAll(.draining)
            ready = try #require(try await served.ask(.get("/readyz")))
            #expect(ready.status == 503 && ready.body.contains(#""status":"draining""#))
        }
    }

    @Test("/readyz names an OAuth profile that has no token, and stays 200: its requests are answered with the login command")
    func credentialProblems() async throws {
        try await withListener { served in
            served.readiness.set(.ready, for: "a")
            served.readiness.set(.ready, for: "b")
            served.readiness.setCredentialProblem("login needed: not logged in", for: "b")
            let ready = try #require(try await served.ask(.get("/readyz")))
            #expect(ready.status == 200)
            #expect(ready.body == #"{"status":"ready","profiles":{"a":"ready","b":"ready"},"credentials":{"b":"login needed: not logged in"}}"#)
            served.readiness.setCredentialProblem(nil, for: "b")
            #expect(try await served.ask(.get("/readyz"))?.body == #"{"status":"ready","profiles":{"a":"ready","b":"ready"}}"#)
        }
    }

    @Test("/healthz, /metrics with its content type, 405 with Allow, 404 naming the endpoints, queries never echoed")
    func endpoints() async throws {
        try await withListener { served in
            served.metrics.profile("a").countRequest(method: "POST", status: 200, seconds: 0.01)
            #expect(try await served.ask(.get("/healthz"))?.body == #"{"status":"ok"}"#)
            let metrics = try #require(try await served.ask(.get("/metrics")))
            #expect(metrics.status == 200 && metrics.header("content-type") == AdminEndpoints.metricsContentType)
            #expect(PrometheusText.samples(metrics.body)[#"mcp_auth_proxy_requests_total{profile="a",method="POST",code="200"}"#] == 1)
            let post = try #require(try await served.ask(.post("/healthz")))
            #expect(post.status == 405 && post.header("allow") == "GET, HEAD")
            let missing = try #require(try await served.ask(.get("/secret?token=hunter2")))
            #expect(missing.status == 404 && missing.body.contains(#""endpoints":["/healthz","/readyz","/metrics"]"#))
            #expect(!missing.body.contains("hunter2"))
        }
    }

    @Test("a rebound Host or a foreign Origin is refused; an HTTP/1.0 probe without Host is answered")
    func browserRules() async throws {
        try await withListener { served in
            let rebound = try #require(try await served.ask(.get("/metrics", host: "rebind.evil.example:9464")))
            #expect(rebound.status == 403 && rebound.body == #"{"error":"host_not_allowed"}"#)
            let origin = try #require(try await served.ask(.get("/metrics", headers: ["Origin: https://evil.example"])))
            #expect(origin.status == 403 && origin.body == #"{"error":"origin_not_allowed"}"#)
            let local = try #require(try await served.ask(.get("/healthz", headers: ["Origin: http://localhost:3000"])))
            #expect(local.status == 200, "a loopback page may look")
            let probe = try #require(try await served.ask("GET /healthz HTTP/1.0\r\n\r\n"))
            #expect(probe.status == 200, "HAProxy's option httpchk sends no Host")
        }
    }
}
