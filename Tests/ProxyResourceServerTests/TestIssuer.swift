import Crypto
import Foundation
import _CryptoExtras
import ProxyConfig
import ProxyTestSupport
@testable import ProxyResourceServer

/// An identity provider's keys and a token minter for the verifier's unit tests. The interop
/// suite mints with a real JOSE library (joserfc); these tests need tokens no library will write
/// (alg none, HS256 over the public key, duplicate claims), so the bytes are assembled here.
struct TestIssuer {
    static let issuer = "https://idp.example.com/realms/team"
    static let audience = "https://mcp.example.com/mcp"

    let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    let ec = P256.Signing.PrivateKey()

    var jwks: [UInt8] {
        let n = Base64URL.encode(PKCS1.modulus([UInt8](rsa.publicKey.pkcs1DERRepresentation)))
        let x = Base64URL.encode(ec.publicKey.rawRepresentation.prefix(32))
        let y = Base64URL.encode(ec.publicKey.rawRepresentation.suffix(32))
        return Array("""
        {"keys":[{"kty":"RSA","kid":"rsa-1","use":"sig","alg":"RS256","n":"\(n)","e":"AQAB"},
                 {"kty":"EC","kid":"ec-1","crv":"P-256","x":"\(x)","y":"\(y)"},
                 {"kty":"oct","kid":"shared","k":"c2VjcmV0"}]}
        """.utf8)
    }

    var keySet: KeySet { try! KeySet.parse(jwks).get() }

    static func settings(_ extra: LoadedConfig.Keys = []) throws -> ClientOAuthSettings {
        let keys: LoadedConfig.Keys = [("upstream_url", "http://127.0.0.1:9/mcp"), ("auth_scheme", "none"), ("listen_port", "8931"),
                                       ("client_auth", "oauth"),
                                       ("client_oauth", "{issuer: \"\(issuer)\", audience: \"\(audience)\", required_scopes: [mcp]}")] + extra
        return try LoadedConfig.profile("team", keys, environment: [:]).clientAuth.oauth!
    }

    static func claims(_ overrides: [String: String] = [:], now: Int64 = Int64(Date().timeIntervalSince1970)) -> String {
        var members: [(String, String)] = [
            ("iss", "\"\(issuer)\""), ("aud", "\"\(audience)\""), ("sub", "\"u-123\""), ("preferred_username", "\"ada\""),
            ("scope", "\"mcp mcp:read\""), ("exp", "\(now + 300)"), ("iat", "\(now)"),
        ]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            members.removeAll { $0.0 == key }
            if value != "-" { members.append((key, value)) }
        }
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    func token(header: String = #"{"alg":"RS256","kid":"rsa-1","typ":"at+jwt"}"#, claims: String = TestIssuer.claims(),
               sign: ((Data) -> [UInt8])? = nil) -> [UInt8] {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let data = Data(input.utf8)
        let signature = sign?(data) ?? {
            if header.contains("ES256") { return Array(try! ec.signature(for: data).rawRepresentation) }
            return Array(try! rsa.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
        }()
        return Array((input + "." + Base64URL.encode(signature)).utf8)
    }
}
