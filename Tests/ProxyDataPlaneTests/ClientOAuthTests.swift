import Crypto
import Foundation
import ProxyConfig
import ProxyResourceServer
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `client_auth: oauth` over real sockets: the listener's metadata and challenges, an ES256 token
/// accepted and consumed, scopes deciding tools, and a new key set re-checking cached tokens.
/// (Tokens from a real JOSE library, the JWKS over HTTPS and the SDK clients' own sign-in are in
/// Tests/Interop/client_oauth_interop.py.)
@Suite("inbound OAuth on the listener")
struct ClientOAuthTests {
    static let issuer = "https://idp.example.com/realms/team"
    static let audience = "http://127.0.0.1:8931/mcp"
    static let profile: LoadedConfig.Keys = [
        ("client_auth", "oauth"),
        ("client_oauth", "{issuer: \"\(issuer)\", audience: \"\(audience)\", required_scopes: [mcp], client_name_claim: preferred_username}"),
        ("tools", #"{deny: ["*delete*"], by_scope: {"mcp:read": {allow: ["get_*"]}}}"#),
    ]

    let key = P256.Signing.PrivateKey()

    func keys(_ keys: [P256.Signing.PublicKey]) throws -> KeySet {
        let jwks = keys.enumerated().map { index, key in
            "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k\(index)\",\"x\":\"\(Self.b64(key.rawRepresentation.prefix(32)))\",\"y\":\"\(Self.b64(key.rawRepresentation.suffix(32)))\"}"
        }
        return try KeySet.parse(Array("{\"keys\":[\(jwks.joined(separator: ","))]}".utf8)).get()
    }

    func slot(with publicKeys: [P256.Signing.PublicKey]) throws -> KeySetSlot {
        let slot = KeySetSlot()
        slot.install(try keys(publicKeys))
        return slot
    }

    func token(scope: String = "mcp", expiresIn: Int = 300, signedBy signer: P256.Signing.PrivateKey? = nil) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header = Self.b64(Data(#"{"alg":"ES256","kid":"k0","typ":"at+jwt"}"#.utf8))
        let claims = Self.b64(Data(#"{"iss":"\#(Self.issuer)","aud":"\#(Self.audience)","sub":"u-1","preferred_username":"ada","scope":"\#(scope)","exp":\#(now + expiresIn)}"#.utf8))
        let signature = try (signer ?? key).signature(for: Data("\(header).\(claims)".utf8)).rawRepresentation
        return "\(header).\(claims).\(Self.b64(signature))"
    }

    static func b64(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func call(_ tool: String) -> String {
        #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"\#(tool)","arguments":{}}}"#
    }

    @Test("rate_limit.per_client keys an OAuth client by subject: two tokens of one subject share a bucket")
    func rateLimitedBySubject() async throws {
        let keys = Self.profile + [("rate_limit", "{per_client: {requests: 2, per: 1h}}")]
        try await ProxyHarness.with(profile: keys, clientKeys: try slot(with: [key.publicKey])) { proxy in
            let first = try token(), second = try token(scope: "mcp mcp:read")
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(first)"]))?.status == 200)
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(second)"]))?.status == 200)
            let refused = try #require(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(first)"])))
            #expect(refused.status == 429 && refused.header("retry-after") == "1800")
            let line = try #require(await proxy.requestLogLine())
            #expect(line["client"] as? String == "ada" && line["reason"] as? String == "rate_limit")
        }
    }

    @Test("the protected-resource metadata is served at the MCP path's location and the root; other probes keep their 404")
    func metadata() async throws {
        try await ProxyHarness.with(profile: Self.profile, clientKeys: try slot(with: [key.publicKey])) { proxy in
            for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
                let response = try #require(try await proxy.exchange(.get(path)))
                #expect(response.status == 200)
                #expect(response.body == #"{"resource":"\#(Self.audience)","authorization_servers":["\#(Self.issuer)"],"scopes_supported":["mcp"],"bearer_methods_supported":["header"]}"#)
            }
            #expect(try await proxy.exchange(.get("/.well-known/oauth-authorization-server"))?.status == 404)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("no token, a bad token, a missing scope: 401 or 403 with the challenge, never forwarded")
    func refusals() async throws {
        let metadataURL = "http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp"
        try await ProxyHarness.with(profile: Self.profile, clientKeys: try slot(with: [key.publicKey])) { proxy in
            let none = try #require(try await proxy.exchange(.post()))
            #expect(none.status == 401)
            #expect(none.header("www-authenticate") == #"Bearer resource_metadata="\#(metadataURL)", scope="mcp""#)
            let forged = try #require(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(try token(signedBy: P256.Signing.PrivateKey()))"])))
            #expect(forged.status == 401 && forged.header("www-authenticate")?.hasPrefix(#"Bearer error="invalid_token""#) == true)
            let expired = try #require(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(try token(expiresIn: -120))"])))
            #expect(expired.status == 401)
            let unscoped = try #require(try await proxy.exchange(.post(headers: ["Authorization: Bearer \(try token(scope: "other"))"])))
            #expect(unscoped.status == 403 && unscoped.header("www-authenticate")?.hasPrefix(#"Bearer error="insufficient_scope""#) == true)
            #expect(unscoped.body.contains(#""jsonrpc":"2.0""#))
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("an accepted token is consumed: the upstream gets the proxy's signature, the log names the client")
    func accepted() async throws {
        try await ProxyHarness.with(profile: Self.profile, clientKeys: try slot(with: [key.publicKey])) { proxy in
            let client = try await proxy.client()
            let bearer = "Authorization: Bearer \(try token())"
            for round in 1...3 {
                try await client.send(.post(headers: [bearer]))
                _ = await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count > round }
            }
            await client.close()
            #expect(proxy.upstream.received.count == 3)
            #expect(proxy.upstream.received.allSatisfy { $0.signatureValid && !$0.headers.contains { $0.0.lowercased() == "authorization" } })
            let line = try #require(await proxy.requestLogLine())
            #expect(line["client"] as? String == "ada")
        }
    }

    @Test("by_scope decides the call: a mcp:read token may call get_*, not the rest; the profile's deny holds")
    func scopes() async throws {
        try await ProxyHarness.with(profile: Self.profile, clientKeys: try slot(with: [key.publicKey])) { proxy in
            let reader = "Authorization: Bearer \(try token(scope: "mcp mcp:read"))"
            let allowed = try #require(try await proxy.exchange(.post(body: Self.call("get_issue"), headers: [reader])))
            #expect(allowed.status == 200 && proxy.upstream.received.count == 1)
            let refused = try #require(try await proxy.exchange(.post(body: Self.call("create_issue"), headers: [reader])))
            #expect(refused.body.contains("not allowed by the tool policy") && proxy.upstream.received.count == 1)
            let plain = "Authorization: Bearer \(try token())"
            #expect(try await proxy.exchange(.post(body: Self.call("create_issue"), headers: [plain]))?.status == 200)
            let denied = try #require(try await proxy.exchange(.post(body: Self.call("delete_issue"), headers: [plain])))
            #expect(denied.body.contains("not allowed by the tool policy") && proxy.upstream.received.count == 2)
        }
    }

    @Test("a new key set checks cached tokens again: one whose key is gone is refused on its next request")
    func rotation() async throws {
        let slot = try slot(with: [key.publicKey])
        try await ProxyHarness.with(profile: Self.profile, clientKeys: slot) { proxy in
            let bearer = "Authorization: Bearer \(try token())"
            #expect(try await proxy.exchange(.post(headers: [bearer]))?.status == 200)
            slot.install(try keys([P256.Signing.PrivateKey().publicKey]))
            #expect(try await proxy.exchange(.post(headers: [bearer]))?.status == 401)
            slot.install(try keys([key.publicKey]))
            #expect(try await proxy.exchange(.post(headers: [bearer]))?.status == 200)
        }
    }
}
