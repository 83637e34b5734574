import Foundation
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

@Suite("TLS upstreams")
struct TLSUpstreamTests {
    @Test("an https upstream trusted through ca_file gets signed requests, connections reused")
    func trustedByCAFile() async throws {
        let certificate = try TestCertificate.make()
        try await ProxyHarness.with(profile: [("ca_file", certificate.certificatePath)], certificate: certificate) { proxy in
            let client = try await proxy.client()
            for count in 1...3 {
                try await client.send(.post())
                // response() would parse the first answer again; wait for this request's own.
                await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count - 1 == count }
            }
            let statuses = client.text.components(separatedBy: "HTTP/1.1 200").count - 1
            #expect(statuses == 3)
            #expect(proxy.upstream.received.count == 3)
            #expect(proxy.upstream.received.allSatisfy { $0.signatureValid })
            #expect(proxy.upstream.connectionCount == 1, "one pooled TLS connection serves all three")
            await client.close()
        }
    }

    @Test("mutual TLS: with its client certificate the request arrives; without one the client gets 502 naming TLS")
    func clientCertificate() async throws {
        let server = try TestCertificate.make()
        let client = try TestCertificate.make()
        try await ProxyHarness.with(profile: [
            ("ca_file", server.certificatePath), ("client_cert_file", client.certificatePath), ("client_key_file", client.privateKeyPath),
        ], certificate: server, requiringClientCertificate: client) { proxy in
            let status = try await proxy.exchange(.post())?.status
            #expect(status == 200)
            let received = proxy.upstream.received
            #expect(received.count == 1 && received.first?.signatureValid == true)
        }
        try await ProxyHarness.with(profile: [("ca_file", server.certificatePath)], certificate: server,
                                    requiringClientCertificate: client) { proxy in
            let response = try await proxy.exchange(.post())
            #expect(response?.status == 502)
            #expect(response?.body.contains("TLS") == true || response?.body.contains("closed") == true, "\(String(describing: response?.body))")
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("an https upstream with an untrusted certificate gets 502 naming the TLS failure, never a request")
    func untrusted() async throws {
        let certificate = try TestCertificate.make()
        try await ProxyHarness.with(certificate: certificate) { proxy in
            let response = try await proxy.exchange(.post())
            #expect(response?.status == 502)
            #expect(response?.body.contains("TLS") == true)
            #expect(proxy.upstream.received.isEmpty)
        }
    }
}
