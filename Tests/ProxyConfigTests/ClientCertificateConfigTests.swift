import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyConfig

/// `client_cert_file` and `client_key_file`, checked where they are written: both or neither,
/// https only, readable, matching and in date. Certificates are made by the openssl CLI.
@Suite("client certificates (mTLS)")
struct ClientCertificateConfigTests {
    /// Writes a self-signed EC certificate and key into `fixture` under `name`; `expired` makes
    /// one whose validity ended a day ago.
    static func make(_ name: String, in fixture: ConfigFixture, expired: Bool = false) throws {
        func openssl(_ arguments: [String]) throws {
            let run = try ToolProcess.run("/usr/bin/openssl", arguments)
            #expect(run.status == 0, "openssl \(arguments): \(run.text)")
        }
        let key = fixture.path("\(name)-key.pem"), certificate = fixture.path("\(name).pem")
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                     "-out", fixture.path("\(name).csr"), "-subj", "/CN=\(name)"])
        try openssl(["x509", "-req", "-in", fixture.path("\(name).csr"), "-signkey", key, "-out", certificate, "-days", expired ? "-1" : "2"])
        chmod(key, 0o600)
    }

    func errors(_ extra: String, fixture: ConfigFixture, upstream: String = "https://mcp.example.com/mcp") -> [Diagnostic] {
        fixture.write("c.yaml", """
        profiles:
          prod:
            upstream_url: \(upstream)
            key_id: k1
            secret_env: SECRET
            listen_port: 8931
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """)
        return fixture.load("c.yaml").diagnostics
    }

    @Test("a matching, current pair loads and check lists both files")
    func valid() throws {
        let fixture = ConfigFixture()
        try Self.make("client", in: fixture)
        let extra = "client_cert_file: \(fixture.path("client.pem"))\nclient_key_file: \(fixture.path("client-key.pem"))"
        #expect(errors(extra, fixture: fixture).isEmpty)
        let profile = try #require(fixture.load("c.yaml").config?.profiles.first)
        #expect(profile.clientCertFile == fixture.path("client.pem"))
        #expect(profile.effectiveSettings.contains { $0.key == "client_key_file" })
    }

    @Test("a key for another certificate, an expired certificate, one file alone, or plain http are errors at the key")
    func invalid() throws {
        let fixture = ConfigFixture()
        try Self.make("client", in: fixture)
        try Self.make("other", in: fixture)
        try Self.make("old", in: fixture, expired: true)
        let cases: [(String, String, String)] = [
            ("client_cert_file: \(fixture.path("client.pem"))\nclient_key_file: \(fixture.path("other-key.pem"))",
             "profiles.prod.client_key_file", "does not match the certificate"),
            ("client_cert_file: \(fixture.path("old.pem"))\nclient_key_file: \(fixture.path("old-key.pem"))",
             "profiles.prod.client_cert_file", "expired"),
            ("client_cert_file: \(fixture.path("client.pem"))", "profiles.prod.client_cert_file", "needs `client_key_file`"),
            ("client_cert_file: \(fixture.path("client-key.pem"))\nclient_key_file: \(fixture.path("client-key.pem"))",
             "profiles.prod.client_cert_file", "cannot read a PEM certificate"),
        ]
        for (extra, key, message) in cases {
            let found = errors(extra, fixture: fixture).filter { $0.severity == .error }
            #expect(found.contains { $0.keyPath == key && $0.message.contains(message) }, "\(key): \(found.map(\.headline))")
        }
        let http = errors("client_cert_file: \(fixture.path("client.pem"))\nclient_key_file: \(fixture.path("client-key.pem"))",
                          fixture: fixture, upstream: "http://127.0.0.1:9/mcp")
        #expect(http.contains { $0.message.contains("needs an https upstream") })
    }

    @Test("a group-readable key file earns a warning, as a secret file does")
    func keyPermissions() throws {
        let fixture = ConfigFixture()
        try Self.make("client", in: fixture)
        chmod(fixture.path("client-key.pem"), 0o644)
        let diagnostics = errors("client_cert_file: \(fixture.path("client.pem"))\nclient_key_file: \(fixture.path("client-key.pem"))", fixture: fixture)
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains("readable by group or others") })
        #expect(!diagnostics.contains { $0.severity == .error })
    }
}
