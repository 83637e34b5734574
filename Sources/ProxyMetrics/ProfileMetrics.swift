import NIOConcurrencyHelpers
import Prometheus

/// One profile's series. Every method is safe from any event loop and, on the request path,
/// lock-free and allocation-free once a series exists (see `CounterSlots`), except the two
/// histograms, whose library implementation takes an uncontended lock per observation.
package final class ProfileMetrics: Sendable {
    /// Methods the `method` label names; any other method is `other`.
    static let methods = ["GET", "POST", "DELETE", "other"]
    static let statuses = 100...599
    /// The `reason` label of `rejected_requests_total`.
    package static let rejectionReasons = [
        "host", "bad_host", "origin", "target", "discovery", "not_found", "method", "body_not_allowed", "client_auth", "insufficient_scope", "tool_policy", "tool_ambiguous",
        "body_too_large", "bad_json", "bad_jsonrpc",
        "head_too_large", "malformed_http", "body_timeout", "rate_limit",
    ]
    /// The `kind` label of `upstream_errors_total`.
    package static let upstreamErrorKinds = ["connect", "tls", "timeout", "reset", "malformed", "tool_list"]
    /// From 0.5 ms to 5 minutes (the default `request_timeout`).
    static let durationBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    package let profile: String
    private let registry: PrometheusCollectorRegistry
    private let requests = CounterSlots(count: methods.count * statuses.count)
    private let rpcRequests = CounterSlots(count: MCPMethods.names.count + 1)
    private let rejections = CounterSlots(count: rejectionReasons.count)
    private let upstreamErrors = CounterSlots(count: upstreamErrorKinds.count)
    private let requestDuration: ValueHistogram
    private let upstreamResponse: ValueHistogram
    private let openStreams: Gauge
    private let idleUpstreamConnections: Gauge
    private let activeUpstreamConnections: Gauge
    private let listenerReady: Gauge
    private let oauthClientLabels = NIOLockedValueBox<Set<String>>([])

    init(profile: String, registry: PrometheusCollectorRegistry) {
        self.profile = profile
        self.registry = registry
        let labels = [("profile", profile)]
        requestDuration = registry.makeValueHistogram(
            descriptor: Self.name("request_duration_seconds", "Time from a request's head to the end of its response (streams included)."),
            labels: labels, buckets: Self.durationBuckets)
        upstreamResponse = registry.makeValueHistogram(
            descriptor: Self.name("upstream_response_seconds", "Time from sending a request upstream to the upstream's response head."),
            labels: labels, buckets: Self.durationBuckets)
        openStreams = registry.makeGauge(
            descriptor: Self.name("open_streams", "Event streams open to clients, relayed or the local heartbeat."), labels: labels)
        let connections = Self.name("upstream_connections", "Upstream connections, idle in the pool or carrying a request.")
        idleUpstreamConnections = registry.makeGauge(descriptor: connections, labels: labels + [("state", "idle")])
        activeUpstreamConnections = registry.makeGauge(descriptor: connections, labels: labels + [("state", "active")])
        listenerReady = registry.makeGauge(
            descriptor: Self.name("listener_ready", "1 while the profile's listener is bound and accepting; 0 while starting or draining."),
            labels: labels)
    }

    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mcp_auth_proxy", metricName: name, unitName: "", helpText: help)
    }

    /// A finished exchange: its method and the status the client got (499 when it left first).
    package func countRequest(method: String, status: Int, seconds: Double) {
        let methodIndex = Self.methods.firstIndex(of: method) ?? Self.methods.count - 1
        let status = Self.statuses.contains(status) ? status : 599
        let index = methodIndex * Self.statuses.count + status - Self.statuses.lowerBound
        requests.counter(at: index) {
            registry.makeCounter(descriptor: Self.name("requests_total", "Requests answered, by method and status."),
                                 labels: [("profile", profile), ("method", Self.methods[methodIndex]), ("code", String(status))])
        }.increment()
        requestDuration.record(seconds)
    }

    /// A request whose body named this JSON-RPC method.
    package func countRPC(method: String) {
        let index = MCPMethods.index(of: method)
        rpcRequests.counter(at: index) {
            registry.makeCounter(descriptor: Self.name("rpc_requests_total", "JSON-RPC requests by MCP method (other for names outside the spec)."),
                                 labels: [("profile", profile), ("rpc_method", MCPMethods.label(at: index))])
        }.increment()
    }

    /// A request answered by the proxy itself; `reason` is one of `rejectionReasons`.
    package func countRejection(reason: String) {
        guard let index = Self.rejectionReasons.firstIndex(of: reason) else { return }
        rejections.counter(at: index) {
            registry.makeCounter(descriptor: Self.name("rejected_requests_total", "Requests refused before reaching the upstream, by reason."),
                                 labels: [("profile", profile), ("reason", reason)])
        }.increment()
    }

    /// An exchange that ended without a usable upstream response; `kind` is one of `upstreamErrorKinds`.
    package func countUpstreamError(kind: String) {
        guard let index = Self.upstreamErrorKinds.firstIndex(of: kind) else { return }
        upstreamErrors.counter(at: index) {
            registry.makeCounter(descriptor: Self.name("upstream_errors_total", "Upstream exchanges that failed, by kind."),
                                 labels: [("profile", profile), ("kind", kind)])
        }.increment()
    }

    /// The requests one `client_auth: bearer` client made (its token's name as the label). Made
    /// once per client when the profile's runtime is built, so a request only increments.
    package func clientRequests(client: String) -> ClientRequestCounter {
        ClientRequestCounter(registry.makeCounter(
            descriptor: Self.name("client_requests_total", "Requests of clients authenticated by client_auth: bearer or oauth, by client."),
            labels: [("profile", profile), ("client", client)]))
    }

    /// The requests of one `client_auth: oauth` client, by its `client_name_claim`. Names come
    /// from tokens, so the label is bounded: the first `oauthClientLabelLimit` names get their
    /// own series, later ones share `client="other"`. Asked once per token a loop accepts.
    package func oauthClientRequests(client: String) -> ClientRequestCounter {
        let label = oauthClientLabels.withLockedValue { labels -> String in
            if labels.contains(client) { return client }
            guard labels.count < Self.oauthClientLabelLimit else { return "other" }
            labels.insert(client)
            return client
        }
        return clientRequests(client: label)
    }

    package static let oauthClientLabelLimit = 100

    /// A fetch of the identity provider's JWKS (`client_auth: oauth`), by result.
    package func countClientKeysFetch(ok: Bool) {
        registry.makeCounter(descriptor: Self.name("client_keys_fetches_total", "Fetches of the identity provider's JWKS for client_auth: oauth, by result."),
                             labels: [("profile", profile), ("result", ok ? "ok" : "error")]).increment()
    }

    /// What `/readyz` reports for this profile, as a series an alert can watch.
    package func listenerReady(_ ready: Bool) { listenerReady.set(to: ready ? 1.0 : 0.0) }
    package func observeUpstreamResponse(seconds: Double) { upstreamResponse.record(seconds) }
    package func streamOpened() { openStreams.increment() }
    package func streamClosed() { openStreams.decrement() }
    package func upstreamConnectionBecameIdle() { idleUpstreamConnections.increment() }
    package func upstreamConnectionLeftIdle() { idleUpstreamConnections.decrement() }
    package func upstreamConnectionBecameActive() { activeUpstreamConnections.increment() }
    package func upstreamConnectionLeftActive() { activeUpstreamConnections.decrement() }
}

/// One client's request counter (see `ProfileMetrics.clientRequests`).
package struct ClientRequestCounter: Sendable {
    private let counter: Counter

    init(_ counter: Counter) { self.counter = counter }

    package func increment() { counter.increment() }
}
