import ProxyDataPlane
import ProxyLogging
import ProxyMetrics

/// The admin listener's answers, decided without I/O: `/healthz`, `/readyz`, `/metrics`; 405 for
/// another method on those paths, 404 anywhere else. Query strings are ignored and never echoed.
package struct AdminEndpoints: Sendable {
    package struct Response: Equatable {
        package var status: Int
        package var contentType: String
        package var body: [UInt8]
        package var allow: String?
    }

    /// The Prometheus text exposition format the registry writes.
    package static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    package let readiness: Readiness
    package let metrics: ProxyMetrics
    /// The listeners' DNS-rebinding rule: a page whose host name resolves to 127.0.0.1 could
    /// otherwise read `/metrics` (profile names, client names, traffic) from a browser.
    package let hostPolicy: OriginPolicy

    package init(readiness: Readiness, metrics: ProxyMetrics, hostPolicy: OriginPolicy) {
        self.readiness = readiness
        self.metrics = metrics
        self.hostPolicy = hostPolicy
    }

    /// `host` and `origin` are the request's single `Host` and `Origin` values (nil when absent;
    /// a repeated one is passed as a value that no rule accepts). A request without `Host` is
    /// answered: HTTP/1.0 health checks (HAProxy's `option httpchk`) send none, and a browser,
    /// the only client a rebinding attack has, always sends one.
    package func respond(method: String, uri: String, host: String?, origin: String?) -> Response {
        if let host {
            switch hostPolicy.hostVerdict(host) {
            case .accepted: break
            case .notThisProxy: return json(403, #"{"error":"host_not_allowed"}"#)
            case .malformed: return json(400, #"{"error":"bad_host"}"#)
            }
        }
        guard hostPolicy.acceptsOrigin(origin) else { return json(403, #"{"error":"origin_not_allowed"}"#) }
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard ["/healthz", "/readyz", "/metrics"].contains(path) else {
            return json(404, #"{"error":"not_found","endpoints":["/healthz","/readyz","/metrics"]}"#)
        }
        guard method == "GET" || method == "HEAD" else {
            var response = json(405, #"{"error":"method_not_allowed"}"#)
            response.allow = "GET, HEAD"
            return response
        }
        switch path {
        case "/healthz":
            return json(200, #"{"status":"ok"}"#)
        case "/readyz":
            let snapshot = readiness.snapshot
            let ready = snapshot.allSatisfy { $0.state == .ready }
            let overall = ready ? "ready" : snapshot.contains { $0.state == .draining } ? "draining" : "starting"
            let profiles = snapshot.map { "\(LogLine.jsonQuoted($0.profile)):\"\($0.state.rawValue)\"" }.joined(separator: ",")
            let problems = readiness.credentialProblemsSnapshot
            let credentials = problems.isEmpty ? ""
                : #","credentials":{"# + problems.map { "\(LogLine.jsonQuoted($0.profile)):\(LogLine.jsonQuoted($0.problem))" }.joined(separator: ",") + "}"
            let keyProblems = readiness.clientKeysProblemsSnapshot
            let clientKeys = keyProblems.isEmpty ? ""
                : #","client_keys":{"# + keyProblems.map { "\(LogLine.jsonQuoted($0.profile)):\(LogLine.jsonQuoted($0.problem))" }.joined(separator: ",") + "}"
            return json(ready ? 200 : 503, #"{"status":"\#(overall)","profiles":{\#(profiles)}\#(credentials)\#(clientKeys)}"#)
        default:
            return Response(status: 200, contentType: Self.metricsContentType, body: metrics.exposition())
        }
    }

    private func json(_ status: Int, _ body: String) -> Response {
        Response(status: status, contentType: "application/json", body: Array(body.utf8))
    }
}
