/// The `otel:` block: OpenTelemetry traces exported over OTLP/HTTP (docs/operations.md,
/// "Traces"). Absent, nothing is traced and the request path pays one branch.
package struct OTelSettings: Sendable, Hashable {
    /// The OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`.
    package let endpoint: String
    /// Header fields sent with every export (a collector's token), values from env or a file.
    package let headers: [Header]
    /// The share of new traces recorded, 0 to 1; a continued trace follows its caller's flag.
    package let samplingRatio: Double
    package let serviceName: String

    package struct Header: Sendable, Hashable {
        package let name: String
        package let value: Secret
    }

    package init(endpoint: String, headers: [Header] = [], samplingRatio: Double = 1, serviceName: String = "mcp-auth-proxy") {
        self.endpoint = endpoint
        self.headers = headers
        self.samplingRatio = samplingRatio
        self.serviceName = serviceName
    }
}
