import Foundation
import ProxyTestSupport
import Testing

/// `mcp-auth-proxy healthcheck`, the container HEALTHCHECK, against a real running proxy.
@Suite("mcp-auth-proxy healthcheck")
struct HealthcheckCommandTests {
    @Test("0 when /healthz and /readyz answer 200; 1 when nothing listens")
    func probes() async throws {
        let upstream = try await TestUpstream(secret: PrometheusScrapeTests.secret)
        let (proxy, _, adminPort) = try PrometheusScrapeTests().startProxy(upstream: upstream)
        let alive = try ProxyProcess.run(["healthcheck", "--port", String(adminPort)])
        #expect(alive.status == 0 && alive.stdout == "/healthz: 200\n", "\(alive.stdout)")
        let ready = try ProxyProcess.run(["healthcheck", "--port", String(adminPort), "--path", "/readyz"])
        #expect(ready.status == 0)
        _ = proxy.terminate()
        let gone = try ProxyProcess.run(["healthcheck", "--port", String(adminPort)])
        #expect(gone.status == 1 && gone.stdout.contains("no answer"))
        await upstream.stop()
    }
}

/// `run --drain-delay`: at SIGTERM /readyz turns 503 at once while the listener keeps serving for
/// the delay, so a load balancer takes the replica out before it stops accepting.
@Suite("mcp-auth-proxy run --drain-delay")
struct DrainDelayTests {
    @Test("during the delay /readyz is 503 and requests are still served; then the process exits 0")
    func drainDelay() async throws {
        let upstream = try await TestUpstream(secret: PrometheusScrapeTests.secret)
        let (proxy, proxyPort, adminPort) = try PrometheusScrapeTests().startProxy(upstream: upstream, arguments: ["--drain-delay", "6"])
        #expect(await eventually(within: 10, polling: .milliseconds(50)) { (try? await PrometheusScrapeTests.get(port: adminPort, "/readyz"))??.status == 200 })
        // Connected before the signal; the request is sent during the delay (6 s: generous for a
        // loaded CI machine, where one /readyz round trip can take seconds).
        let client = try await RawHTTPClient(port: proxyPort)
        kill(proxy.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        try await client.send(.post("/mcp"))
        #expect(await client.response()?.status == 200, "still serving during the delay")
        await client.close()
        #expect(try await PrometheusScrapeTests.get(port: adminPort, "/readyz")?.status == 503, "out of rotation at once")
        await eventually(within: 15, polling: .milliseconds(50)) { !proxy.process.isRunning }
        #expect(!proxy.process.isRunning && proxy.process.terminationStatus == 0)
        await upstream.stop()
    }
}
