import Foundation
import ProxyConfig
import ProxySigning
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `auth_scheme: aws-sigv4` over real sockets: what reaches the upstream is exactly the proxy's
/// signature over what it forwards, and nothing is forwarded unsigned. (botocore checks the
/// signatures themselves in Tests/Interop/aws_sigv4_interop.py; the vectors in SigV4Tests.)
@Suite("aws-sigv4 on the wire")
struct AWSSigV4Tests {
    static let keys: LoadedConfig.Keys = [("auth_scheme", "aws-sigv4"), ("key_id", ""), ("secret_env", ""),
                                          ("aws", "{region: eu-west-1, service: execute-api}")]

    static func slot(token: String?) -> AWSCredentialSlot {
        let slot = AWSCredentialSlot(region: "eu-west-1", service: "execute-api", problem: "unused")
        slot.store(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Array("wire-secret".utf8), sessionToken: token))
        return slot
    }

    @Test("each request carries one fresh signature over its host, body, time and token; clients' copies are dropped")
    func signed() async throws {
        try await ProxyHarness.with(profile: Self.keys, upstreamChecksSignature: false, awsCredentials: Self.slot(token: "session-token")) { proxy in
            let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
            let response = try await proxy.exchange(.post("/mcp?b=2&a=1", body: body, headers: [
                "X-Amz-Date: 19990101T000000Z", "x-amz-security-token: client-token", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD"]))
            #expect(response?.status == 200)
            let request = try #require(proxy.upstream.received.first)
            func values(_ name: String) -> [String] { request.headers.filter { $0.0.lowercased() == name }.map(\.1) }
            for name in ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "host"] {
                #expect(values(name).count == 1, "\(name): \(values(name))")
            }
            #expect(values("x-amz-security-token") == ["session-token"])
            #expect(values("x-amz-content-sha256") == [SigV4.hexSHA256(Array(body.utf8))])
            let date = try #require(values("x-amz-date").first)
            let canonical = SigV4.canonicalRequest(method: "POST", target: request.target, headers: [
                ("host", values("host")[0]), ("x-amz-content-sha256", values("x-amz-content-sha256")[0]), ("x-amz-date", date),
                ("x-amz-security-token", "session-token")], payloadHash: SigV4.hexSHA256(Array(request.body.utf8)))
            #expect(String(decoding: canonical.bytes, as: UTF8.self).hasPrefix("POST\n/up\na=1&b=2\nhost:127.0.0.1:"))
            let scope = SigV4.scope(day: date.prefix(8), region: "eu-west-1", service: "execute-api")
            let signature = SigV4.signature(of: SigV4.stringToSign(amzDate: date, scope: scope, canonicalRequest: canonical.bytes),
                                            key: SigV4.signingKey(secret: Array("wire-secret".utf8), day: date.prefix(8), region: "eu-west-1", service: "execute-api"))
            #expect(values("authorization") == ["AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=\(signature)"])
        }
    }

    @Test("without credentials: 503 with a JSON-RPC error saying why; nothing reaches the upstream, and credentials found later are used")
    func unavailable() async throws {
        let slot = AWSCredentialSlot(region: "eu-west-1", service: "execute-api", problem: "unused")
        slot.clear(problem: "no AWS credentials from env: AWS_ACCESS_KEY_ID is not set (credentials: env)")
        try await ProxyHarness.with(profile: Self.keys, upstreamChecksSignature: false, awsCredentials: slot) { proxy in
            let answered = try await proxy.exchange(.post())
            let response = try #require(answered)
            #expect(response.status == 503)
            #expect(response.body.contains("AWS_ACCESS_KEY_ID is not set") && response.body.contains("\"code\":-32603"))
            #expect(proxy.upstream.received.isEmpty)
            slot.store(AWSCredentials(accessKeyID: "AKIDLATER", secretAccessKey: Array("s".utf8)))
            let later = try await proxy.exchange(.post())
            #expect(later?.status == 200)
            #expect(proxy.upstream.received.first?.headers.contains { $0.0.lowercased() == "x-amz-security-token" } == false,
                    "long-term keys send no token")
        }
    }
}
