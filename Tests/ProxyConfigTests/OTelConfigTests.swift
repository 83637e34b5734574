import ProxyConfig
import Testing

@Suite("otel: config")
struct OTelConfigTests {
    @Test("the otel block: endpoint, headers from env, sampling ratio and service name with their defaults")
    func parsed() throws {
        let yaml = "otel:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  headers: {authorization: {env: OTEL_AUTH}}\n  sampling_ratio: 0.25\n" + profileYAML()
        let config = try #require(ConfigFixture(["c.yaml": yaml]).load("c.yaml", environment: ["SECRET": "0123456789abcdef-secret", "OTEL_AUTH": "Bearer t"]).config)
        let otel = try #require(config.otel)
        #expect(otel.endpoint == "http://127.0.0.1:4318/v1/traces" && otel.samplingRatio == 0.25 && otel.serviceName == "mcp-auth-proxy")
        #expect(otel.headers.map(\.name) == ["authorization"] && otel.headers.first?.value.bytes == Array("Bearer t".utf8))
        let plain = try #require(ConfigFixture(["c.yaml": "otel:\n  endpoint: https://otel.example.com/v1/traces\n  service_name: gw\n" + profileYAML()])
            .load("c.yaml").config?.otel)
        #expect(plain.samplingRatio == 1 && plain.serviceName == "gw" && plain.headers.isEmpty)
    }

    @Test("mistakes name the key and the fix", arguments: [
        ("otel:\n  sampling_ratio: 1\n", "missing required key `endpoint`"),
        ("otel:\n  endpoint: localhost:4318\n", "is not an http(s) URL"),
        ("otel:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  sampling_ratio: 2\n", "\"2\" is not a number from 0 to 1"),
        ("otel:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  headers: {authorization: Bearer abc}\n", "must be {env: NAME} or {file: PATH}; values are never written in the config"),
        ("otel:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  headers: {authorization: {env: NOT_SET_ANYWHERE}}\n", "the environment variable NOT_SET_ANYWHERE is not set"),
        ("otel:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  sample: 1\n", "sample"),
    ])
    func mistakes(_ block: String, _ expected: String) {
        let errors = ConfigFixture.errors(block + profileYAML())
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }
}
