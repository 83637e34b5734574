import Foundation
import ProxyConfig
import ProxyTestSupport
import Testing

@Suite("tls_cert_file and tls_key_file")
struct ListenerTLSConfigTests {
    @Test("a valid pair: check shows the subject and the expiry, and a certificate near its end earns a warning")
    func valid() throws {
        let certificate = try TestCertificate.make()
        let result = ConfigFixture(["c.yaml": profileYAML("tls_cert_file: \(certificate.certificatePath)\ntls_key_file: \(certificate.privateKeyPath)")]).load("c.yaml")
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics)")
        let tls = try #require(profile.listenerTLS)
        #expect(tls.subject == "CN=localhost; names localhost,127.0.0.1", "\(tls.subject)")
        let shown = try #require(profile.effectiveSettings.first { $0.key == "tls_cert_file" })
        #expect(shown.value.contains("CN=localhost") && shown.value.contains("expires 20"), "\(shown.value)")
        #expect(result.diagnostics.contains { $0.severity == .warning && $0.message.contains("expires in ") && $0.message.contains(" day(s), 20") }, "the test certificate lives 2 days: \(result.diagnostics)")
        #expect(profile.watchedFiles.contains(certificate.certificatePath) && profile.watchedFiles.contains(certificate.privateKeyPath))
    }

    @Test("a lone file, a key of another certificate, or an unreadable file is an error at the key")
    func errors() throws {
        let one = try TestCertificate.make(), other = try TestCertificate.make()
        let lone = ConfigFixture.errors(profileYAML("tls_cert_file: \(one.certificatePath)"))
        #expect(lone.contains { $0.contains("profiles.prod.tls_cert_file: `tls_cert_file` needs `tls_key_file`") }, "\(lone)")
        let mismatched = ConfigFixture.errors(profileYAML("tls_cert_file: \(one.certificatePath)\ntls_key_file: \(other.privateKeyPath)"))
        #expect(mismatched.contains { $0.contains("profiles.prod.tls_key_file: the key in") && $0.contains("does not match") }, "\(mismatched)")
        let missing = ConfigFixture.errors(profileYAML("tls_cert_file: /nonexistent/cert.pem\ntls_key_file: \(one.privateKeyPath)"))
        #expect(missing.contains { $0.contains("cannot read a PEM certificate") }, "\(missing)")
    }
}
