import Foundation
import ProxyTestSupport
import NIOCore
import ProxyConfig
import ProxySigning
import ProxyAudit
import ProxyTracing
import ProxyMetrics
import ProxyDataPlane
import ProxyLogging
import ProxyResourceServer
import ProxySigning

/// A real listener on an ephemeral 127.0.0.1 port in front of a real `TestUpstream`, with its
/// log lines captured in a file so tests can read and scan them.
struct ProxyHarness {
    static let secret = "harness-secret-0123456789"

    let upstream: TestUpstream
    let engine: ForwardingEngine
    let listener: ProfileListener
    let log: LogSink
    let logPath: String
    var audit: AuditTrail? = nil

    var port: Int { listener.localPort }

    /// The harness profile's keys before a test's own: a loopback upstream, an auth-gateway key and
    /// `TEST_SECRET`. The listen port is a placeholder (the listener binds an ephemeral one).
    static func baseKeys(upstreamURL: String) -> LoadedConfig.Keys {
        [("upstream_url", upstreamURL), ("key_id", "key-1"), ("secret_env", "TEST_SECRET"), ("listen_port", "8931")]
    }

    /// A profile whose upstream (port 9 on loopback) is never contacted over a socket, loaded with
    /// the harness's base keys and `keys`: for the `EmbeddedChannel` tests.
    static func embeddedProfile(_ keys: LoadedConfig.Keys = []) throws -> Profile {
        try LoadedConfig.profile("embedded", baseKeys(upstreamURL: "http://127.0.0.1:9/up") + keys, environment: ["TEST_SECRET": secret])
    }

    /// - Parameters:
    ///   - profile: YAML keys of the profile under test, after the harness's own (`baseKeys`);
    ///     the profile is loaded from YAML through `ConfigLoader`, as the program loads it.
    ///   - environment: variables the profile's `*_env` keys name, besides `TEST_SECRET`.
    static func start(
        profile keys: LoadedConfig.Keys = [], environment: [String: String] = [:], refusesGET: Bool = false, certificate: TestCertificate? = nil,
        upstreamPort: Int? = nil, limits: ConnectionLimits = ConnectionLimits(), upstreamChecksSignature: Bool = true,
        requiringClientCertificate: TestCertificate? = nil, metrics: ProfileMetrics? = nil, accessToken: AccessTokenSlot? = nil,
        clientKeys: KeySetSlot? = nil, awsCredentials: AWSCredentialSlot? = nil, audit: AuditSettings? = nil, tracer: Tracer? = nil
    ) async throws -> ProxyHarness {
        let upstream = try await TestUpstream(secret: secret, refusesGET: refusesGET, certificate: certificate, checksSignature: upstreamChecksSignature,
                                              requiringClientCertificate: requiringClientCertificate)
        let url = "\(certificate == nil ? "http" : "https")://127.0.0.1:\(upstreamPort ?? upstream.port)/up"
        var all = baseKeys(upstreamURL: url)
        if keys.contains(where: { $0.key == "listen_unix" }) { all.append(("listen_port", "")) }
        let profile: Profile
        do {
            profile = try LoadedConfig.profile("test", all + keys, environment: environment.merging(["TEST_SECRET": secret]) { $1 })
        } catch {
            await upstream.stop()
            throw error
        }
        let logPath = NSTemporaryDirectory() + "proxy-log-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let descriptor = open(logPath, O_WRONLY | O_APPEND)
        let log = LogSink(minimumLevel: .trace, fileDescriptor: descriptor, flushInterval: 0.01)
        let engine = ForwardingEngine(threads: 1)
        // An audit trail writing beside the log, with the settings' arguments and redactions.
        let auditPath = logPath + ".audit"
        let trail = try audit.map { settings in
            AuditTrail(settings: settings, sink: try AuditSink(path: auditPath, flushInterval: 0.01) { _ in })
        }
        let runtime = try ProfileRuntime(profile: profile, signer: AuthGatewaySigner(), log: log, limits: limits, metrics: metrics,
                                         accessToken: accessToken, clientKeys: clientKeys, awsCredentials: awsCredentials, audit: trail, tracer: tracer)
        let listener = try await ProfileListener.bind(runtime: runtime, engine: engine, port: 0)
        return ProxyHarness(upstream: upstream, engine: engine, listener: listener, log: log, logPath: logPath, audit: trail)
    }

    /// Runs `body` against a fresh proxy and upstream, and always tears both down.
    static func with(
        profile keys: LoadedConfig.Keys = [], environment: [String: String] = [:], refusesGET: Bool = false, certificate: TestCertificate? = nil,
        upstreamPort: Int? = nil, limits: ConnectionLimits = ConnectionLimits(), upstreamChecksSignature: Bool = true,
        requiringClientCertificate: TestCertificate? = nil, accessToken: AccessTokenSlot? = nil, clientKeys: KeySetSlot? = nil,
        awsCredentials: AWSCredentialSlot? = nil, audit: AuditSettings? = nil, tracer: Tracer? = nil, _ body: (ProxyHarness) async throws -> Void
    ) async throws {
        let proxy = try await start(profile: keys, environment: environment, refusesGET: refusesGET, certificate: certificate, upstreamPort: upstreamPort,
                                    limits: limits, upstreamChecksSignature: upstreamChecksSignature,
                                    requiringClientCertificate: requiringClientCertificate, accessToken: accessToken, clientKeys: clientKeys,
                                    awsCredentials: awsCredentials, audit: audit, tracer: tracer)
        do {
            try await body(proxy)
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }

    func client() async throws -> RawHTTPClient {
        try await RawHTTPClient(port: port)
    }

    /// Sends one request on a fresh connection and returns the parsed response.
    func exchange(_ request: String) async throws -> ParsedResponse? {
        let client = try await client()
        try await client.send(request)
        let response = await client.response()
        await client.close()
        return response
    }

    /// Every audit line written so far, parsed (the harness's trail, when it was given one).
    func auditLines() -> [[String: Any]] {
        audit?.sink.flush()
        let text = (try? String(contentsOfFile: logPath + ".audit", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unparsable": String(line)]
        }
    }

    /// Waits until `count` audit lines are written (they follow the response, like log lines).
    func auditLines(count: Int, timeout: Double = 5) async -> [[String: Any]] {
        await eventuallyValue(within: timeout) { () -> [[String: Any]]? in
            let lines = auditLines()
            return lines.count >= count ? lines : nil
        } ?? auditLines()
    }

    /// Every log line written so far, parsed.
    func logLines() -> [[String: Any]] {
        log.flush()
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unparsable": String(line)]
        }
    }

    /// The `request` log line of the exchange that just ended. The line is written on the event
    /// loop just after the response, so a client can see its answer first: this waits for it.
    func requestLogLine(timeout: Double = 5) async -> [String: Any]? {
        await eventuallyValue(within: timeout) { logLines().last { $0["event"] as? String == "request" } }
    }

    func stop() async {
        await listener.shutdown(grace: .seconds(1))
        await engine.closeIdleConnections()
        try? await engine.shutdown()
        await upstream.stop()
        log.shutdown()
        audit?.sink.shutdown()
        try? FileManager.default.removeItem(atPath: logPath)
        try? FileManager.default.removeItem(atPath: logPath + ".audit")
    }
}
