import Crypto
import Foundation
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// A string-to-sign you write, over real sockets: an in-house gateway's scheme (method, path,
/// query, timestamp, nonce, the body's SHA-256, a client header) reproduced by recomputing the
/// HMAC from what the upstream received, independently of the proxy's code.
@Suite("signing templates on the wire")
struct SigningTemplateTests {
    static let profile: LoadedConfig.Keys = [("signing", """
        {encoding: base64, string_to_sign: "{method}\\n{path}\\n{query}\\n{timestamp}\\n{nonce}\\n{body_sha256}\\n{header:x-tenant}", \
        headers: {x-key: "{key_id}", x-ts: "{timestamp}", x-nonce: "{nonce}", x-content-sha256: "{body_sha256}", x-signature: "v1={signature}"}}
        """)]

    @Test("the upstream can recompute every request's signature from what it received")
    func reproduced() async throws {
        try await ProxyHarness.with(profile: Self.profile, upstreamChecksSignature: false) { proxy in
            let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
            for _ in 0..<2 {
                // `try await` outside #expect: inside a harness closure, Swift 6.3 cannot type-check it there.
                let response = try await proxy.exchange(.post("/mcp?tenant=a", body: body, headers: ["X-Tenant: acme"]))
                #expect(response?.status == 200)
            }
            let received = proxy.upstream.received
            #expect(received.count == 2)
            var nonces = Set<String>()
            for request in received {
                func header(_ name: String) -> String { request.headers.first { $0.0.lowercased() == name }?.1 ?? "" }
                let digest = SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
                #expect(header("x-content-sha256") == digest && header("x-key") == "key-1")
                let signed = "POST\n/up\ntenant=a\n\(header("x-ts"))\n\(header("x-nonce"))\n\(digest)\nacme"
                let mac = HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: Data(ProxyHarness.secret.utf8)))
                #expect(header("x-signature") == "v1=" + Data(mac).base64EncodedString())
                #expect(header("x-nonce").count == 32)
                nonces.insert(header("x-nonce"))
                #expect(!request.headers.contains { $0.0.lowercased() == "x-api-key-id" }, "the template's headers replace the default ones")
            }
            #expect(nonces.count == 2, "a fresh nonce per request")
        }
    }
}
