import NIOConcurrencyHelpers
import NIOCore
import ProxyAdmin
import ProxyAudit
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxyMetrics
import ServiceLifecycle

/// Re-reads the configuration and applies it (SIGHUP, `--watch`). The new config gets the full
/// start-up validation first; any error leaves everything serving as it was. Reloads run one at a
/// time, in the order they were asked for (`ReloadService` queues them).
final class Reloader: Sendable {
    let request: ConfigRequest
    let served: ServedProfiles
    /// Builds the services of listeners a reload adds, exactly as start-up built the first ones.
    let listeners: ListenerServices
    var readiness: Readiness { listeners.readiness }
    let log: LogSink
    let metrics: ProxyMetrics?
    let audit: AuditKeeper
    /// The admin block as started: a reload cannot move the admin listener.
    let admin: AdminSettings?
    /// The otel block as started: tracing is set up once.
    let otel: OTelSettings?
    /// Set once the service group exists; reload-added listeners become its services.
    let group = NIOLockedValueBox<ServiceGroup?>(nil)
    /// The files the current config was read from (for `--watch`).
    let watched: NIOLockedValueBox<[String]>

    init(request: ConfigRequest, config: ValidatedConfig, served: ServedProfiles, listeners: ListenerServices,
         log: LogSink, metrics: ProxyMetrics?, audit: AuditKeeper) {
        self.audit = audit
        self.request = request
        self.served = served
        self.listeners = listeners
        self.log = log
        self.metrics = metrics
        self.admin = config.admin
        self.otel = config.otel
        self.watched = NIOLockedValueBox(Self.watchedPaths(config, request: request))
    }

    static func watchedPaths(_ config: ValidatedConfig, request: ConfigRequest) -> [String] {
        var paths = config.files + config.profiles.flatMap(\.watchedFiles)
        // A directory of config files: a file added or removed changes the directory itself.
        if let directory = request.configPath ?? request.environment["MCP_AUTH_PROXY_CONFIG"], !config.files.contains(directory) {
            paths.append(directory)
        } else if request.configPath == nil, !config.files.isEmpty {
            paths.append(request.workingDirectory + "/profiles")
        }
        return paths
    }

    func reload(trigger: String) async {
        let started = NIODeadline.now()
        // logrotate's postrotate sends SIGHUP: the audit file is reopened whatever the reload does.
        if trigger == "sighup" { audit.reopen() }
        let result = ConfigLoader.load(request)
        guard let config = result.config else {
            for diagnostic in result.diagnostics.errors {
                var line = LogLine(diagnostic, level: .error, event: "config_reload_failed")
                line.field("trigger", trigger)
                log.emit(line)
            }
            log.flush()
            metrics?.countReload(succeeded: false)
            return
        }
        for warning in config.warnings { log.emit(LogLine(warning, level: .warning, event: "config")) }
        if config.otel != otel {
            var line = LogLine(level: .warning, event: "config_reload_otel_ignored")
            line.field("message", "the otel: block is read at start-up only; restart to change tracing")
            log.emit(line)
        }
        if config.admin != admin {
            var line = LogLine(level: .warning, event: "config_reload_admin_ignored")
            line.field("message", "the admin: block is read at start-up only; restart to move the admin listener")
            log.emit(line)
        }
        let outcome: ServedProfiles.Outcome
        var trail: AuditTrail?
        do {
            trail = try audit.prepare(config.audit)
            outcome = try await served.apply(config.profiles, readiness: readiness, audit: trail)
        } catch {
            // A trail opened for this reload and never installed is closed again.
            if let trail, trail !== audit.current { trail.sink.shutdown() }
            var line = LogLine(level: .error, event: "config_reload_failed")
            line.field("trigger", trigger)
            line.field("message", "\(error); the previous configuration stays in force")
            log.emit(line)
            metrics?.countReload(succeeded: false)
            return
        }
        audit.install(trail)
        watched.withLockedValue { $0 = Self.watchedPaths(config, request: request) }
        if let group = group.withLockedValue({ $0 }) {
            for entry in outcome.added {
                await group.addServiceUnlessShutdown(listeners.service(for: entry))
            }
        }
        metrics?.countReload(succeeded: true)
        var line = LogLine(level: .info, event: "config_reloaded")
        line.field("trigger", trigger)
        line.field("added", outcome.added.map(\.name).joined(separator: ","))
        line.field("removed", outcome.removed.joined(separator: ","))
        line.field("changed", outcome.changed.joined(separator: ","))
        line.field("duration_ms", milliseconds: UInt64((NIODeadline.now() - started).nanoseconds))
        log.emit(line)
        log.flush()
    }
}
