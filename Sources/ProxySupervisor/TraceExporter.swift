import Foundation
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyLogging
import ProxyMetrics
import ProxyOAuth
import ProxyTracing

/// Sends the spans the data plane recorded to the collector, on the control plane: every second
/// (or sooner when a batch is full) one OTLP/HTTP request with everything waiting, in protobuf.
/// A collector that is down or refuses costs the spans of that batch, counted in
/// `otel_dropped_spans_total` and reported once until an export succeeds again; the data plane
/// never waits for it (its sink is bounded).
package final class TraceExporter: Sendable {
    let settings: OTelSettings
    package let tracer: Tracer
    private let client: OAuthHTTPClient
    private let log: LogSink
    private let metrics: ProxyMetrics?
    /// The endpoint and the header fields of every export, made once (the loader checked the URL).
    private let url: URL?
    private let headers: [(String, String)]
    /// Whether the current run of failures has been reported.
    private let failing = NIOLockedValueBox(false)
    static let batchSize = 2048

    package init(settings: OTelSettings, group: any EventLoopGroup, log: LogSink, metrics: ProxyMetrics?) {
        self.settings = settings
        url = URL(string: settings.endpoint)
        headers = [("content-type", "application/x-protobuf")] + settings.headers.map { ($0.name, String(decoding: $0.value.bytes, as: UTF8.self)) }
        self.tracer = Tracer(samplingRatio: settings.samplingRatio)
        self.client = OAuthHTTPClient(group: group, timeout: .seconds(10))
        self.log = log
        self.metrics = metrics
    }

    /// Exports every second until cancelled.
    package func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                return
            }
            await export()
        }
    }

    /// Sends everything waiting now (also at shutdown, after the listeners drained).
    package func export() async {
        let (spans, dropped) = tracer.spans.take()
        if dropped > 0 { metrics?.countSpansDropped(dropped) }
        var start = 0
        while start < spans.count {
            let batch = Array(spans[start..<min(spans.count, start + Self.batchSize)])
            start += batch.count
            await send(batch)
        }
    }

    private func send(_ spans: [SpanRecord]) async {
        guard let url else { return }
        let body = OTLPEncoding.exportRequest(spans, serviceName: settings.serviceName, version: ProxyMetrics.version)
        let problem: String?
        do {
            let response = try await client.send(method: .POST, url: url, headers: headers, body: body)
            problem = (200..<300).contains(response.status) ? nil : "the collector answered \(response.status)"
        } catch {
            problem = "\(error)"
        }
        let wasFailing = failing.withLockedValue { failing in
            defer { failing = problem != nil }
            return failing
        }
        guard let problem else { return }
        metrics?.countSpansDropped(spans.count)
        guard !wasFailing else { return }
        var line = LogLine(level: .warning, event: "otel_export_failed")
        line.field("endpoint", settings.endpoint)
        line.field("message", "\(problem); \(spans.count) spans dropped, and more until an export succeeds")
        log.emit(line)
    }
}
