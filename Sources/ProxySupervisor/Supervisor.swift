import ProxyAudit
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ProxyAdmin
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxyMetrics
import ProxySigning
import ServiceLifecycle

/// Runs one listener per selected profile on one shared engine and one shared signer, and owns
/// the process lifecycle: fail fast at start-up, reload on SIGHUP (and `--watch`), drain on
/// SIGINT/SIGTERM. With an `admin:` block it also serves `/healthz`, `/readyz` and `/metrics`, from
/// before the first listener binds until the last one has drained.
package struct Supervisor: Sendable {
    package struct Reloading: Sendable {
        /// How the configuration was found at start-up; a reload finds it the same way.
        package var request: ConfigRequest
        /// Also reload when a config or secret file changes (polled every 2 s).
        package var watch: Bool

        package init(request: ConfigRequest, watch: Bool = false) {
            self.request = request
            self.watch = watch
        }
    }

    package let config: ValidatedConfig
    package let threads: Int
    package let log: LogSink
    /// How long in-flight requests may take to finish after a shutdown signal.
    package var grace: TimeAmount = .seconds(10)
    /// See `ListenerService.drainDelay` (`run --drain-delay`).
    package var drainDelay: TimeAmount = .zero
    /// Nil: no reloads (SIGHUP keeps its default action). The command line always sets it.
    package var reloading: Reloading?
    /// What `/readyz` reports; the supervisor moves it through starting, ready and draining.
    package let readiness: Readiness
    /// The admin listener's bound port once it is up (tests bind port 0).
    package let adminPort = AdminPort()

    package init(config: ValidatedConfig, threads: Int, log: LogSink) {
        self.config = config
        self.threads = threads
        self.log = log
        self.readiness = Readiness(profiles: config.profiles.map(\.name))
    }

    /// Returns when every listener has stopped; throws when one could not start.
    package func run() async throws {
        let engine = ForwardingEngine(threads: threads)
        // Counting costs something per request, so it happens only when someone can read it.
        let metrics = config.admin.map { _ in ProxyMetrics() }
        let audit = AuditKeeper(log: log, metrics: metrics)
        let trail: AuditTrail?
        do {
            trail = try audit.prepare(config.audit)
            audit.install(trail)
        } catch {
            var line = LogLine(level: .fatal, event: "audit_open_failed")
            line.field("error", "\(error)")
            log.emit(line)
            try? await engine.shutdown()
            stopped(failure: error)
            throw error
        }
        let exporter = config.otel.map { TraceExporter(settings: $0, group: engine.group, log: log, metrics: metrics) }
        let served = ServedProfiles(engine: engine, signer: AuthGatewaySigner(), log: log, metrics: metrics, tracer: exporter?.tracer)
        let admin: AdminListener?
        let started: ServedProfiles.Outcome
        do {
            admin = try await startAdmin(metrics: metrics, engine: engine)
            do {
                started = try await served.apply(config.profiles, readiness: readiness, audit: trail)
            } catch {
                await admin?.close()
                throw error
            }
        } catch {
            if let bindFailed = error as? ServedProfiles.BindFailed {
                var line = LogLine(level: .fatal, event: "bind_failed")
                line.field("profile", bindFailed.profile.name)
                line.field("listen", bindFailed.profile.listenDescription)
                line.field("error", "\(bindFailed.underlying)")
                log.emit(line)
            }
            await served.stopSessions()
            audit.shutdown()
            try? await engine.shutdown()
            stopped(failure: error)
            throw error
        }

        let listeners = ListenerServices(engine: engine, grace: grace, readiness: readiness, drainDelay: drainDelay)
        var services = started.added.map(listeners.service)
        var reloader: Reloader?
        if let reloading {
            let created = Reloader(request: reloading.request, config: config, served: served, listeners: listeners,
                                   log: log, metrics: metrics, audit: audit)
            reloader = created
            services.append(.init(service: ReloadService(reloader: created, watch: reloading.watch),
                                  successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "mcp-auth-proxy.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })
        ))
        reloader?.group.withLockedValue { $0 = group }
        let exporting = exporter.map { exporter in Task { await exporter.run() } }
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await admin?.close()
        await served.stopSessions()
        audit.shutdown()
        // The spans of the last exchanges, recorded while the listeners drained.
        exporting?.cancel()
        await exporter?.export()
        await engine.closeIdleConnections()
        try? await engine.shutdown()
        stopped(failure: failure)
        if let failure { throw failure }
    }

    private func stopped(failure: (any Error)?) {
        var line = LogLine(level: failure == nil ? .info : .fatal, event: "stopped")
        if let failure { line.field("error", "\(failure)") }
        log.emit(line)
        log.flush()
    }

    private func startAdmin(metrics: ProxyMetrics?, engine: ForwardingEngine) async throws -> AdminListener? {
        guard let settings = config.admin, let metrics else { return nil }
        let endpoints = AdminEndpoints(readiness: readiness, metrics: metrics,
                                       hostPolicy: OriginPolicy(listenHost: settings.listenHost, allowRemote: settings.allowRemote, allowedOrigins: []))
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
package final class AdminPort: Sendable {
    private let port = NIOLockedValueBox(0)
    func set(_ value: Int) { port.withLockedValue { $0 = value } }
    package var value: Int { port.withLockedValue { $0 } }
}
