import ProxyAudit
import ProxyConfig
import ProxyLogging
import ProxyMetrics

/// Keeps the process's audit trail: opens its file at start, replaces it when a reload changes
/// the `audit:` block (the new file opened before anything changes, so a reload whose audit file
/// cannot be opened changes nothing), reopens it on SIGHUP and SIGUSR1 for logrotate, and
/// flushes it at shutdown. Every listener finds the current trail through `slot`.
final class AuditKeeper: Sendable {
    let slot = AuditSlot()
    private let log: LogSink
    private let metrics: ProxyMetrics?

    init(log: LogSink, metrics: ProxyMetrics?) {
        self.log = log
        self.metrics = metrics
    }

    /// A trail for `settings`, its file open; nil without an `audit:` block.
    func prepare(_ settings: AuditSettings?) throws(AuditSinkError) -> AuditTrail? {
        guard let settings else { return nil }
        if let current = slot.trail, current.settings == settings { return current }
        let path: String? = switch settings.destination {
        case .stderr: nil
        case .file(let path): path
        }
        let log = self.log
        let metrics = self.metrics
        let sink = try AuditSink(path: path, problem: { problem in
            var line = LogLine(level: .error, event: "audit_write_failed")
            line.field("message", problem)
            log.emit(line)
        }, dropped: { count in metrics?.countAuditDropped(count) })
        return AuditTrail(settings: settings, sink: sink)
    }

    /// Makes `trail` the current one; a replaced trail is flushed and closed.
    func install(_ trail: AuditTrail?) {
        guard let old = slot.exchange(trail), old !== trail else { return }
        old.sink.shutdown()
    }

    func reopen() {
        slot.trail?.sink.reopen()
    }

    /// Writes what is pending and closes the file (at shutdown, after the listeners drained).
    func shutdown() {
        install(nil)
    }
}
