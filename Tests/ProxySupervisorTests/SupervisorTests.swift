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

    /// Profiles `a` and `b` on `ports`, each mapped below its own path of `upstream`, loaded from YAML.
    func config(upstream: TestUpstream, ports: [Int]) throws -> ValidatedConfig {
        let profiles = zip(["a", "b"], ports).map { name, port in
            (name, [("upstream_url", "http://127.0.0.1:\(upstream.port)/\(name)"), ("key_id", "\(name)-key"), ("secret_env", "S"),
                    ("listen_port", "\(port)")] as LoadedConfig.Keys)
        }
        return try LoadedConfig.load(LoadedConfig.yaml(profiles: profiles), environment: ["S": Self.secret])
    }

    func sink() -> LogSink {
        LogSink(minimumLevel: .error, fileDescriptor: open("/dev/null", O_WRONLY))
    }

    @Test("all profiles are served by one supervisor, and cancelling it closes every listener")
    func servesAllAndStops() async throws {
        let upstream = try await TestUpstream(secret: Self.secret)
        let log = sink()
        let (running, ports) = try await startServing(upstream: upstream, log: log)
        for port in ports {
            let client = try await RawHTTPClient(port: port)
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
        let config = try config(upstream: upstream, ports: [free, taken.localAddress!.port!])
        let log = sink()
        await #expect(throws: (any Error).self) { try await Supervisor(config: config, threads: 1, log: log).run() }
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: free) }
        try await taken.close()
        log.shutdown()
        await upstream.stop()
    }

    /// Starts a supervisor for profiles "a" and "b" and returns once both listen. The ports come
    /// from `TestPorts.free()`, so another socket of this test process may take one between its
    /// release and the supervisor's bind; the supervisor then exits with the bind error, and a
    /// fresh pair is tried (three attempts). Each attempt allows 10 s, for a cold machine running
    /// the whole suite in parallel.
    func startServing(upstream: TestUpstream, log: LogSink) async throws -> (Task<Void, any Error>, [Int]) {
        for _ in 0..<3 {
            let ports = try [TestPorts.free(), TestPorts.free()]
            let config = try config(upstream: upstream, ports: ports)
            let running = Task { try await Supervisor(config: config, threads: 1, log: log).run() }
            if await listening(ports, within: 10) { return (running, ports) }
            running.cancel()
            try? await running.value
        }
        throw SupervisorNeverListened()
    }

    struct SupervisorNeverListened: Error {}

    /// Whether every port accepts a connection before `seconds` pass.
    func listening(_ ports: [Int], within seconds: Double) async -> Bool {
        var waiting = ports
        return await eventually(within: seconds, polling: .milliseconds(20)) {
            while let port = waiting.first, let client = try? await RawHTTPClient(port: port) {
                await client.close()
                waiting.removeFirst()
            }
            return waiting.isEmpty
        }
    }
}
