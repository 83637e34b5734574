import Foundation
import ProxyConfig
import ProxyLogging
import ProxySupervisor
import ProxyTestSupport
import Testing

/// The supervisor in-process: every listener up on one engine, fail-fast on a bind error, and a
/// clean stop when its task is cancelled (what a signal does through the service group).
@Suite("supervisor")
struct SupervisorTests {
    static let secret = "supervisor-secret-0123456789"

    func profile(_ name: String, upstream: TestUpstream, port: Int) -> Profile {
        Profile(name: name, upstream: UpstreamURL(scheme: .http, host: "127.0.0.1", port: upstream.port, basePath: "/\(name)"),
                keyID: "\(name)-key", secret: Secret(bytes: Array(Self.secret.utf8), source: .environment(variable: "S")), listenPort: port)
    }

    func sink() -> LogSink {
        LogSink(minimumLevel: .error, fileDescriptor: open("/dev/null", O_WRONLY))
    }

    @Test("all profiles are served by one supervisor, and cancelling it closes every listener")
    func servesAllAndStops() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let ports = try [TestPorts.free(), TestPorts.free()]
        let config = ValidatedConfig(profiles: [profile("a", upstream: upstream, port: ports[0]), profile("b", upstream: upstream, port: ports[1])],
                                     warnings: [], files: [])
        let log = sink()
        let running = Task { try await Supervisor(config: config, threads: 1, log: log).run() }
        for port in ports {
            let client = try await connect(port)
            try await client.send(.post())
            #expect(await client.response()?.status == 200)
            await client.close()
        }
        #expect(upstream.received.map(\.target).sorted() == ["/a", "/b"])
        running.cancel()
        try? await running.value
        for port in ports {
            await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: port) }
        }
        log.shutdown()
        await upstream.stop()
    }

    @Test("a listener that cannot bind makes the whole supervisor fail and close the others")
    func failsFast() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let taken = try await RawHTTPClient.listeningSocket()
        let free = try TestPorts.free()
        let config = ValidatedConfig(profiles: [profile("a", upstream: upstream, port: free), profile("b", upstream: upstream, port: taken.localAddress!.port!)],
                                     warnings: [], files: [])
        let log = sink()
        await #expect(throws: (any Error).self) { try await Supervisor(config: config, threads: 1, log: log).run() }
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: free) }
        try await taken.close()
        log.shutdown()
        await upstream.stop()
    }

    /// Retries while the listener is still binding.
    func connect(_ port: Int) async throws -> RawHTTPClient {
        for _ in 0..<100 {
            if let client = try? await RawHTTPClient(port: port) { return client }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await RawHTTPClient(port: port)
    }
}
