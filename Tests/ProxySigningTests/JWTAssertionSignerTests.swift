import Crypto
import Foundation
import _CryptoExtras
import ProxyConfig
import ProxyResourceServer
import ProxySigning
import ProxyTestSupport
import Testing

/// `auth_scheme: jwt`: tokens the signer mints verify under the listener's own resource-server
/// rules (signature by the public key, iss, aud, exp), carry the configured claims, and are
/// reused until shortly before they expire unless `per_request` is set. (A real JOSE library,
/// joserfc, verifies them in Tests/Interop/jwt_interop.py.)
@Suite("signed JWT assertions")
struct JWTAssertionSignerTests {
    static let audience = "https://mcp.example.com/mcp"

    struct Case: Sendable, CustomStringConvertible {
        let algorithm: String
        let pem: String
        let jwk: String
        var description: String { algorithm }
    }

    static let cases: [Case] = {
        let ec = P256.Signing.PrivateKey()
        let ed = Curve25519.Signing.PrivateKey()
        let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        let b64 = { (data: Data) in Base64URL.encode(data) }
        return [
            Case(algorithm: "ES256", pem: ec.pemRepresentation,
                 jwk: #"{"kty":"EC","crv":"P-256","x":"\#(b64(ec.publicKey.rawRepresentation.prefix(32)))","y":"\#(b64(ec.publicKey.rawRepresentation.suffix(32)))"}"#),
            Case(algorithm: "EdDSA", pem: ed.pemRepresentation, jwk: #"{"kty":"OKP","crv":"Ed25519","x":"\#(b64(ed.publicKey.rawRepresentation))"}"#),
            Case(algorithm: "RS256", pem: rsa.pemRepresentation, jwk: rsaJWK(rsa.publicKey)),
        ]
    }()

    static func rsaJWK(_ key: _RSA.Signing.PublicKey) -> String {
        #"{"kty":"RSA","n":"\#(Base64URL.encode(PKCS1.modulus([UInt8](key.pkcs1DERRepresentation))))","e":"AQAB"}"#
    }

    func profile(_ test: Case, _ extra: String = "") throws -> Profile {
        try LoadedConfig.profile("svc", [
            ("upstream_url", Self.audience), ("auth_scheme", "jwt"), ("listen_port", "8931"),
            ("jwt", "{algorithm: \(test.algorithm), private_key_env: SVC_KEY, issuer: \"https://svc.example/client\", claims: {tenant: acme, tier: 2}\(extra)}"),
        ], environment: ["SVC_KEY": test.pem])
    }

    func token(_ signer: any RequestSigner, at milliseconds: Int64) -> (header: String, value: String) {
        var found = ("", "")
        signer.sign(method: "POST", target: "/mcp", key: SigningKey(profile: try! profile(Self.cases[0])), unixMilliseconds: milliseconds) { name, value in
            found = (name, String(decoding: value, as: UTF8.self))
        }
        return found
    }

    func verify(_ token: String, _ test: Case, now: Int64) throws -> VerifiedAccessToken? {
        let settings = try LoadedConfig.profile("check", [
            ("upstream_url", "http://127.0.0.1:9/mcp"), ("auth_scheme", "none"), ("listen_port", "8932"), ("client_auth", "oauth"),
            ("client_oauth", "{issuer: \"https://svc.example/client\", audience: \"\(Self.audience)\", algorithms: [\(test.algorithm)]}"),
        ], environment: [:]).clientAuth.oauth!
        let keys = try KeySet.parse(Array(#"{"keys":[\#(test.jwk)]}"#.utf8)).get()
        if case .accepted(let verified) = Array(token.utf8).withUnsafeBytes({ AccessTokenVerifier(settings: settings).verify($0, keys: keys, now: now) }) {
            return verified
        }
        return nil
    }

    @Test("each algorithm's token verifies with the public key, with iss, sub, aud, exp and the configured claims", arguments: cases)
    func verifies(_ test: Case) throws {
        let signer = try profile(test).signer(authGateway: NoCredentialSigner())
        let now: Int64 = 1_800_000_000
        let (header, value) = token(signer, at: now * 1000)
        #expect(header == "authorization" && value.hasPrefix("Bearer "))
        let jwt = String(value.dropFirst("Bearer ".count))
        let verified = try #require(try verify(jwt, test, now: now))
        #expect(verified.subject == "https://svc.example/client" && verified.expiresAt == now + 60)
        let claims = String(decoding: Base64URL.decode(String(jwt.split(separator: ".")[1]))!, as: UTF8.self)
        #expect(claims.contains(#""tenant":"acme""#) && claims.contains(#""tier":2"#) && claims.contains(#""jti":"#), "\(claims)")
        #expect(try verify(jwt, test, now: now + 200) == nil, "expired after its lifetime (and the skew)")
    }

    @Test("one token is reused until 10 s before it expires; per_request mints one (and a jti) every time")
    func reuse() throws {
        let test = Self.cases[0]
        let shared = try profile(test).signer(authGateway: NoCredentialSigner())
        let first = token(shared, at: 1_000_000)
        #expect(token(shared, at: 1_049_000).value == first.value)
        #expect(token(shared, at: 1_051_000).value != first.value)
        let fresh = try profile(test, ", per_request: true, header: x-assertion").signer(authGateway: NoCredentialSigner())
        let one = token(fresh, at: 1_000_000), two = token(fresh, at: 1_000_000)
        #expect(one.header == "x-assertion" && !one.value.hasPrefix("Bearer ") && one.value != two.value)
    }

    @Test("a key of another kind than the algorithm is a config error at the key, with the command that makes the right one")
    func wrongKey() {
        let ec = Self.cases[0]
        do {
            _ = try LoadedConfig.profile("svc", [
                ("upstream_url", Self.audience), ("auth_scheme", "jwt"), ("listen_port", "8931"),
                ("jwt", "{algorithm: RS256, private_key_env: SVC_KEY, issuer: svc}"),
            ], environment: ["SVC_KEY": ec.pem])
            Issue.record("an EC key was accepted for RS256")
        } catch {
            #expect("\(error)".contains("jwt.private_key_env: the private key from env SVC_KEY is not an RSA private key"), "\(error)")
            #expect("\(error)".contains("openssl genpkey -algorithm RSA"))
        }
    }
}
