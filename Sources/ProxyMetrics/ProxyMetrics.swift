import NIOConcurrencyHelpers
import Prometheus

/// The process's metrics: one Prometheus registry, one `ProfileMetrics` per served profile, the
/// build and the process. Rendered in the Prometheus text format (0.0.4) by `exposition()`.
package final class ProxyMetrics: Sendable {
    package static let version = "0.5.0"

    private let registry = PrometheusCollectorRegistry()
    private let profiles = NIOLockedValueBox<[String: ProfileMetrics]>([:])
    private let reloadsSucceeded: Counter
    private let reloadsFailed: Counter
    private let auditDropped: Counter
    private let spansDropped: Counter

    package init() {
        registry.makeGauge(descriptor: ProfileMetrics.name("build_info", "Always 1; the version label names the build."),
                           labels: [("version", Self.version)]).set(to: 1.0)
        let reloads = ProfileMetrics.name("config_reloads_total", "Configuration reloads (SIGHUP or --watch), by result.")
        reloadsSucceeded = registry.makeCounter(descriptor: reloads, labels: [("result", "success")])
        reloadsFailed = registry.makeCounter(descriptor: reloads, labels: [("result", "failure")])
        auditDropped = registry.makeCounter(descriptor: ProfileMetrics.name("audit_dropped_lines_total",
            "Audit lines that could not be written (a full disk, an I/O error, a disk too slow to keep up)."))
        spansDropped = registry.makeCounter(descriptor: ProfileMetrics.name("otel_dropped_spans_total",
            "Spans not exported: the collector refused or could not be reached, or more waited than the sink holds."))
    }

    package func countSpansDropped(_ spans: Int) {
        spansDropped.increment(by: Int64(spans))
    }

    package func countAuditDropped(_ lines: Int) {
        auditDropped.increment(by: Int64(lines))
    }

    /// A reload finished: applied, or refused with the old configuration kept.
    package func countReload(succeeded: Bool) {
        (succeeded ? reloadsSucceeded : reloadsFailed).increment()
    }

    /// The series of profile `name`; the same object for the same name (a profile re-created by a
    /// reload keeps counting where it was).
    package func profile(_ name: String) -> ProfileMetrics {
        profiles.withLockedValue { profiles in
            if let existing = profiles[name] { return existing }
            let created = ProfileMetrics(profile: name, registry: registry)
            profiles[name] = created
            return created
        }
    }

    /// Every series, then the standard `process_*` ones.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        ProcessMetrics.read().emit(into: &buffer)
        return buffer
    }
}
