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
