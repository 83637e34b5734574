import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyMetrics

/// The exposition, read back as a user's scraper would: series values by name and labels.
@Suite("metrics exposition")
struct ProxyMetricsTests {
    /// `name{labels} value` lines of the exposition, keyed by everything before the value.
    static func samples(_ metrics: ProxyMetrics) -> [String: Double] {
        PrometheusText.samples(String(decoding: metrics.exposition(), as: UTF8.self))
    }

    @Test("counters carry profile, method, code and reason labels, and only series that happened appear")
    func counters() {
        let metrics = ProxyMetrics()
        let profile = metrics.profile("prod")
        for _ in 0..<3 { profile.countRequest(method: "POST", status: 200, seconds: 0.002) }
        profile.countRequest(method: "GET", status: 499, seconds: 12)
        profile.countRequest(method: "PATCH", status: 405, seconds: 0.0001)
        profile.countRejection(reason: "origin")
        profile.countUpstreamError(kind: "connect")
        let samples = Self.samples(metrics)
        #expect(samples[#"mcp_auth_proxy_requests_total{profile="prod",method="POST",code="200"}"#] == 3)
        #expect(samples[#"mcp_auth_proxy_requests_total{profile="prod",method="GET",code="499"}"#] == 1)
        #expect(samples[#"mcp_auth_proxy_requests_total{profile="prod",method="other",code="405"}"#] == 1, "methods outside the routed ones are `other`")
        #expect(samples[#"mcp_auth_proxy_rejected_requests_total{profile="prod",reason="origin"}"#] == 1)
        #expect(samples[#"mcp_auth_proxy_upstream_errors_total{profile="prod",kind="connect"}"#] == 1)
        #expect(!samples.keys.contains { $0.contains(#"code="201""#) || $0.contains(#"reason="host""#) })
        #expect(samples[#"mcp_auth_proxy_request_duration_seconds_count{profile="prod"}"#] == 5)
        #expect(samples[#"mcp_auth_proxy_request_duration_seconds_bucket{profile="prod",le="0.0005"}"#] == 1)
        #expect(samples[#"mcp_auth_proxy_request_duration_seconds_bucket{profile="prod",le="0.0025"}"#] == 4)
        #expect(samples[#"mcp_auth_proxy_request_duration_seconds_bucket{profile="prod",le="+Inf"}"#] == 5)
        #expect(samples[#"mcp_auth_proxy_build_info{version="\#(ProxyMetrics.version)"}"#] == 1)
    }

    @Test("rpc_method takes only the MCP specification's names; anything else is `other`")
    func boundedRPCMethods() {
        let metrics = ProxyMetrics()
        let profile = metrics.profile("p")
        profile.countRPC(method: "tools/call")
        profile.countRPC(method: "tools/call")
        for minted in ["x\"} 1\nevil", "tools/call2", String(repeating: "a", count: 10_000)] { profile.countRPC(method: minted) }
        let samples = Self.samples(metrics)
        #expect(samples[#"mcp_auth_proxy_rpc_requests_total{profile="p",rpc_method="tools/call"}"#] == 2)
        #expect(samples[#"mcp_auth_proxy_rpc_requests_total{profile="p",rpc_method="other"}"#] == 3)
        #expect(samples.keys.filter { $0.hasPrefix("mcp_auth_proxy_rpc_requests_total") }.count == 2)
    }

    @Test("gauges go up and down: open streams and upstream connections by state")
    func gauges() {
        let metrics = ProxyMetrics()
        let profile = metrics.profile("p")
        profile.streamOpened()
        profile.streamOpened()
        profile.streamClosed()
        profile.upstreamConnectionBecameActive()
        profile.upstreamConnectionLeftActive()
        profile.upstreamConnectionBecameIdle()
        let samples = Self.samples(metrics)
        #expect(samples[#"mcp_auth_proxy_open_streams{profile="p"}"#] == 1)
        #expect(samples[#"mcp_auth_proxy_upstream_connections{profile="p",state="idle"}"#] == 1)
        #expect(samples[#"mcp_auth_proxy_upstream_connections{profile="p",state="active"}"#] == 0)
    }

    @Test("reloads are counted by result")
    func reloads() {
        let metrics = ProxyMetrics()
        metrics.countReload(succeeded: true)
        metrics.countReload(succeeded: true)
        metrics.countReload(succeeded: false)
        let samples = Self.samples(metrics)
        #expect(samples[#"mcp_auth_proxy_config_reloads_total{result="success"}"#] == 2)
        #expect(samples[#"mcp_auth_proxy_config_reloads_total{result="failure"}"#] == 1)
    }

    @Test("the standard process series describe this process")
    func processSeries() {
        let samples = Self.samples(ProxyMetrics())
        #expect((samples["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((samples["process_open_fds"] ?? 0) >= 3)
        #expect((samples["process_cpu_seconds_total"] ?? -1) >= 0)
        let start = samples["process_start_time_seconds"] ?? 0
        #expect(abs(start - Date().timeIntervalSince1970) < 24 * 3600, "started today, in Unix seconds")
    }

    @Test("promtool check metrics accepts a scrape with every family in it")
    func promtool() throws {
        let metrics = ProxyMetrics()
        let profile = metrics.profile("prod")
        profile.countRequest(method: "POST", status: 200, seconds: 0.01)
        profile.countRPC(method: "initialize")
        profile.countRejection(reason: "host")
        profile.countUpstreamError(kind: "timeout")
        profile.observeUpstreamResponse(seconds: 0.004)
        profile.streamOpened()
        let promtool = try #require(ToolProcess.find("promtool"), "promtool is missing: apt-get install prometheus (.ci/run installs it)")
        let check = try ToolProcess.run(promtool, ["check", "metrics"], input: metrics.exposition())
        #expect(check.status == 0, "\(check.text)")
    }
}
