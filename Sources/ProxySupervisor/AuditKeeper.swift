import NIOConcurrencyHelpers
import ProxyAudit
import ProxyConfig
import ProxyLogging
import ProxyMetrics

/// Keeps the process's audit trail: opens its file at start, makes a new trail when a reload
/// changes the `audit:` block (its file opened before anything changes, so a reload whose audit
/// file cannot be opened changes nothing), reopens the file on SIGHUP and SIGUSR1 for logrotate,
/// and flushes it at shutdown. The runtimes hold the trail itself (`ServedProfiles`).
package final class AuditKeeper: Sendable {
    private let installed = NIOLockedValueBox<AuditTrail?>(nil)
    private let log: LogSink
    private let metrics: ProxyMetrics?

    package init(log: LogSink, metrics: ProxyMetrics?) {
        self.log = log
        self.metrics = metrics
    }

    var current: AuditTrail? { installed.withLockedValue { $0 } }

    /// The trail for `settings`: the current one when they are unchanged, else a new one with its
    /// file open; nil without an `audit:` block.
    package func prepare(_ settings: AuditSettings?) throws(AuditSinkError) -> AuditTrail? {
        guard let settings else { return nil }
        if let current, current.settings == settings { return current }
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

    /// Makes `trail` the current one. A replaced trail stops its thread once flushed; a request
    /// still in flight on an old runtime writes its line to the old file directly.
    package func install(_ trail: AuditTrail?) {
        let old = installed.withLockedValue { installed in
            defer { installed = trail }
            return installed
        }
        if let old, old !== trail { old.sink.shutdown() }
    }

    package func reopen() {
        current?.sink.reopen()
    }

    /// Writes what is pending (at shutdown, after the listeners drained).
    package func shutdown() {
        install(nil)
    }
}
