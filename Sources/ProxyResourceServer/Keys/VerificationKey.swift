import Crypto
import _CryptoExtras
import ProxyConfig

/// One public key of the identity provider's JWKS, ready to check signatures with. A key is bound
/// to the algorithms its type allows: an RSA key never checks an ES256 signature, and no key ever
/// checks an HMAC one (there is no symmetric key here to confuse with a public one).
struct VerificationKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let keyID: String?
    /// The JWK's `alg`, when it names one: the key is then good for that algorithm only.
    let algorithm: ClientOAuthSettings.Algorithm?
    let material: Material

    /// Whether this key may check a signature made with `algorithm` (RFC 7517 §4.4, RFC 7518 §3).
    func fits(_ algorithm: ClientOAuthSettings.Algorithm) -> Bool {
        if let own = self.algorithm, own != algorithm { return false }
        switch (material, algorithm) {
        case (.rsa, .rs256), (.rsa, .rs384), (.rsa, .rs512), (.rsa, .ps256), (.rsa, .ps384), (.rsa, .ps512): return true
        case (.p256, .es256), (.p384, .es384), (.ed25519, .eddsa): return true
        default: return false
        }
    }

    func verifies(_ signature: [UInt8], over input: [UInt8], algorithm: ClientOAuthSettings.Algorithm) -> Bool {
        switch (material, algorithm) {
        case (.rsa(let key), .rs256): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.rsa(let key), .rs384): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.rsa(let key), .rs512): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.rsa(let key), .ps256): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .PSS)
        case (.rsa(let key), .ps384): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA384.hash(data: input), padding: .PSS)
        case (.rsa(let key), .ps512): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA512.hash(data: input), padding: .PSS)
        case (.p256(let key), .es256):
            // JWS ECDSA signatures are r||s of 32 bytes each (RFC 7518 §3.4), never DER.
            guard signature.count == 64, let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA256.hash(data: input))
        case (.p384(let key), .es384):
            guard signature.count == 96, let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA384.hash(data: input))
        case (.ed25519(let key), .eddsa):
            return key.isValidSignature(signature, for: input)
        default:
            return false
        }
    }
}
