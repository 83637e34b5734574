import NIOConcurrencyHelpers
import ProxyConfig
import ProxyLogging

/// `auth_scheme: jwt`: a JWT signed with the profile's private key on each request's behalf —
/// `iss`, `sub`, `aud`, `iat`, `exp`, a fresh `jti`, and the configured claims. One token is
/// reused until `renewal` seconds before it expires (one lock per request to read it), unless
/// `per_request` asks for a new one (and `jti`) every time. Minting is an ECDSA, Ed25519 or RSA
/// signature on the event loop: tens of microseconds, once a lifetime.
package final class JWTAssertionSigner: RequestSigner, Sendable {
    let settings: JWTAssertionSettings
    let key: JWTSigningKey
    /// The header JSON, base64url: the same for every token.
    private let encodedHeader: String
    /// `"iss":…,"sub":…,"aud":…` and the configured claims, in JSON, prepared once.
    private let fixedClaims: String
    private let current = NIOLockedValueBox<(value: [UInt8], expiresAt: Int64)?>(nil)

    package init?(settings: JWTAssertionSettings) {
        guard case .success(let key) = JWTSigningKey.parse(String(decoding: settings.privateKey.bytes, as: UTF8.self), for: settings.algorithm) else {
            return nil
        }
        self.settings = settings
        self.key = key
        var header = #"{"alg":"\#(settings.algorithm.rawValue)","typ":"JWT""#
        if let kid = settings.keyID { header += #","kid":"# + LogLine.jsonQuoted(kid) }
        encodedHeader = Base64URL.encode(Array((header + "}").utf8))
        var claims = #""iss":\#(LogLine.jsonQuoted(settings.issuer)),"sub":\#(LogLine.jsonQuoted(settings.subject)),"aud":\#(LogLine.jsonQuoted(settings.audience))"#
        for claim in settings.claims { claims += "," + LogLine.jsonQuoted(claim.name) + ":" + claim.json }
        fixedClaims = claims
    }

    /// Renewed this long before it expires: a request signed just before must still arrive in time.
    var renewal: Int64 { min(10, settings.lifetime.milliseconds / 4000) }

    package func sign(method: String, target: String, key _: SigningKey, unixMilliseconds: Int64,
                      into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        let now = unixMilliseconds / 1000
        let value: [UInt8]
        if settings.perRequest {
            value = mint(now: now)
        } else {
            value = current.withLockedValue { current in
                if let token = current, now < token.expiresAt - renewal { return token.value }
                let fresh = mint(now: now)
                current = (fresh, now + settings.lifetime.milliseconds / 1000)
                return fresh
            }
        }
        value.withUnsafeBytes { field(settings.header, $0) }
    }

    /// The header value: `Bearer <jwt>` for Authorization, the bare token for another header.
    func mint(now: Int64) -> [UInt8] {
        let expiry = now + settings.lifetime.milliseconds / 1000
        var generator = SystemRandomNumberGenerator()
        var words = (generator.next() as UInt64, generator.next() as UInt64)
        let jti = withUnsafeBytes(of: &words) { Base64URL.encode($0) }
        let claims = "{" + fixedClaims + #","iat":\#(now),"exp":\#(expiry),"jti":"\#(jti)"}"#
        let input = Array((encodedHeader + "." + Base64URL.encode(Array(claims.utf8))).utf8)
        let token = input + [UInt8(ascii: ".")] + Array(Base64URL.encode(key.sign(input)).utf8)
        return settings.header == "authorization" ? Array("Bearer ".utf8) + token : token
    }
}

