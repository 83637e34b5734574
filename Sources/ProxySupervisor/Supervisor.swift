import Logging
import ProxyAdmin
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxyMetrics
import ProxySigning
import ServiceLifecycle

/// Runs one listener per selected profile on one shared engine and one shared signer, and owns
/// the process lifecycle: fail fast at start-up, drain on SIGINT/SIGTERM. With an `admin:` block
/// it also serves `/healthz`, `/readyz` and `/metrics`, from before the first listener binds
/// until the last one has drained.
public struct Supervisor: Sendable {
    public let config: ValidatedConfig
    public let threads: Int
    public let log: LogSink
    /// How long in-flight requests may take to finish after a shutdown signal.
    public var grace: TimeAmount = .seconds(10)
    /// What `/readyz` reports; the supervisor moves it through starting, ready and draining.
    public let readiness: Readiness
    /// The admin listener's bound port once it is up (tests bind port 0).
    public let adminPort = AdminPort()

    public init(config: ValidatedConfig, threads: Int, log: LogSink) {
        self.config = config
        self.threads = threads
        self.log = log
        self.readiness = Readiness(profiles: config.profiles.map(\.name))
    }

    /// Returns when every listener has stopped; throws when one could not start.
    public func run() async throws {
        let engine = ForwardingEngine(threads: threads)
        let signer = AuthGatewaySigner()
        // Counting costs something per request, so it happens only when someone can read it.
        let metrics = config.admin.map { _ in ProxyMetrics() }
        var services: [any Service] = []
        let admin: AdminListener?
        do {
            for profile in config.profiles {
                let runtime = try ProfileRuntime(profile: profile, signer: signer, log: log, metrics: metrics?.profile(profile.name))
                services.append(ListenerService(runtime: runtime, engine: engine, grace: grace, readiness: readiness))
            }
            admin = try await startAdmin(metrics: metrics, engine: engine)
        } catch {
            try? await engine.shutdown()
            throw error
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "mcp-auth-proxy.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })
        ))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await admin?.close()
        await engine.closeIdleConnections()
        try? await engine.shutdown()
        var line = LogLine(level: failure == nil ? .info : .fatal, event: "stopped")
        if let failure { line.field("error", "\(failure)") }
        log.emit(line)
        log.flush()
        if let failure { throw failure }
    }

    private func startAdmin(metrics: ProxyMetrics?, engine: ForwardingEngine) async throws -> AdminListener? {
        guard let settings = config.admin, let metrics else { return nil }
        let endpoints = AdminEndpoints(readiness: readiness, metrics: metrics)
        let listener: AdminListener
        do {
            listener = try await AdminListener.bind(host: settings.listenHost, port: settings.listenPort, group: engine.group, endpoints: endpoints)
        } catch {
            var line = LogLine(level: .fatal, event: "bind_failed")
            line.field("listener", "admin")
            line.field("listen", "\(settings.listenHost):\(settings.listenPort)")
            line.field("error", "\(error)")
            log.emit(line)
            throw error
        }
        adminPort.set(listener.localPort)
        var line = LogLine(level: .info, event: "admin_listening")
        line.field("listen", "\(settings.listenHost):\(listener.localPort)")
        line.field("endpoints", "/healthz /readyz /metrics")
        log.emit(line)
        return listener
    }
}

/// The admin listener's bound port, readable from any thread (0 until bound).
public final class AdminPort: Sendable {
    private let port = NIOLockedValueBox(0)
    func set(_ value: Int) { port.withLockedValue { $0 = value } }
    public var value: Int { port.withLockedValue { $0 } }
}
