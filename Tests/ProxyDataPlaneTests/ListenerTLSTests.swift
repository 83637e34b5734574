import Foundation
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// TLS on the profile's own listener, over real sockets with a real handshake.
@Suite("TLS listener")
struct ListenerTLSTests {
    static func tls(_ certificate: TestCertificate) -> LoadedConfig.Keys {
        [("tls_cert_file", certificate.certificatePath), ("tls_key_file", certificate.privateKeyPath)]
    }

    @Test("a client that trusts the certificate gets its signed exchange over https")
    func https() async throws {
        let certificate = try TestCertificate.make()
        try await ProxyHarness.with(profile: Self.tls(certificate)) { proxy in
            let client = try await RawHTTPClient(port: proxy.port, trusting: certificate)
            try await client.send(.post(host: "localhost"))
            let response = await client.response()
            #expect(response?.status == 200)
            #expect(proxy.upstream.received.first?.signatureValid == true)
            await client.close()
        }
    }

    @Test("plain HTTP to a TLS listener gets no HTTP answer and reaches nothing")
    func plainRefused() async throws {
        let certificate = try TestCertificate.make()
        try await ProxyHarness.with(profile: Self.tls(certificate)) { proxy in
            let client = try await proxy.client()
            try await client.send(.post())
            let text = await client.waitFor(timeout: 3) { _ in false }
            #expect(!text.hasPrefix("HTTP/1.1 200"))
            #expect(client.isClosed)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("TLS and client tokens together: 401 without the token, 200 with it")
    func tlsWithClientAuth() async throws {
        let certificate = try TestCertificate.make()
        let token = String(repeating: "9f", count: 20)
        try await ProxyHarness.with(profile: Self.tls(certificate) + [("client_auth", "bearer"), ("client_tokens", "[{name: ci, token_env: CI_TOKEN}]")],
                                    environment: ["CI_TOKEN": token]) { proxy in
            let anonymous = try await RawHTTPClient(port: proxy.port, trusting: certificate)
            try await anonymous.send(.post(host: "localhost"))
            #expect(await anonymous.response()?.status == 401)
            let known = try await RawHTTPClient(port: proxy.port, trusting: certificate)
            try await known.send(.post(headers: ["Authorization: Bearer \(token)"], host: "localhost"))
            #expect(await known.response()?.status == 200)
            #expect(proxy.upstream.received.count == 1)
            await anonymous.close()
            await known.close()
        }
    }
}
