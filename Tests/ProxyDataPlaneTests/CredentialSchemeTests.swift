import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// What arrives upstream under each `auth_scheme`: exactly the proxy's credential, never a
/// client's copy, and never the credential in a log line.
@Suite("credential schemes")
struct CredentialSchemeTests {
    static let forged = ["Authorization: Bearer client-token", "X-Api-Key: client-key", "Connection: x-api-key, authorization"]

    func headers(_ received: TestUpstream.Received, _ name: String) -> [String] {
        received.headers.filter { $0.0.lowercased() == name }.map(\.1)
    }

    @Test("bearer: one Authorization: Bearer <secret>, the client's own dropped")
    func bearer() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "bearer"), ("key_id", "")], upstreamChecksSignature: false) { proxy in
            #expect(try await proxy.exchange(.post(headers: Self.forged))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "authorization") == ["Bearer \(ProxyHarness.secret)"])
            #expect(headers(received, "x-signature").isEmpty && headers(received, "x-api-key-id").isEmpty, "no HMAC headers")
            #expect(!proxy.logLines().description.contains(ProxyHarness.secret))
        }
    }

    @Test("header: <auth_header>: <secret> once, a client's copy dropped even when Connection names it")
    func header() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "header"), ("auth_header", "x-api-key"), ("key_id", "")],
                                    upstreamChecksSignature: false) { proxy in
            let forged = ["Authorization: Bearer client-token", "X-Api-Key: client-key", "Connection: x-api-key"]
            #expect(try await proxy.exchange(.post(headers: forged))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "x-api-key") == [ProxyHarness.secret])
            #expect(headers(received, "authorization") == ["Bearer client-token"], "other client headers pass as before")
            #expect(!proxy.logLines().description.contains(ProxyHarness.secret))
        }
    }

    @Test("none: no credential is added; what the client sends passes through")
    func none() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "none"), ("key_id", ""), ("secret_env", "")], upstreamChecksSignature: false) { proxy in
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer client-token"]))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "authorization") == ["Bearer client-token"])
            #expect(headers(received, "x-signature").isEmpty && headers(received, "x-timestamp").isEmpty)
        }
    }

    @Test("auth-gateway stays the default, and a client's Authorization still passes (it is not the proxy's)")
    func gatewayDefault() async throws {
        try await ProxyHarness.with { proxy in
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer client-token"]))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.signatureValid)
            #expect(headers(received, "authorization") == ["Bearer client-token"])
        }
    }
}
