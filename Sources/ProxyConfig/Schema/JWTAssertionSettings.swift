import Crypto
import _CryptoExtras

/// `auth_scheme: jwt`: each upstream request carries a short-lived JWT the proxy signs with the
/// profile's private key (docs/signing.md). Only the loader makes one; the key has been parsed.
package struct JWTAssertionSettings: Sendable, Hashable {
    package enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case rs256 = "RS256", es256 = "ES256", eddsa = "EdDSA"
    }

    package internal(set) var algorithm: Algorithm = .es256
    /// The PEM text (from `private_key_env`, `_file` or `_command`); never printed.
    package internal(set) var privateKey: Secret
    /// The `kid` header, for verifiers that pick keys by id.
    package internal(set) var keyID: String?
    package internal(set) var issuer: String
    /// Default: the issuer.
    package internal(set) var subject: String
    /// Default: the upstream URL.
    package internal(set) var audience: String
    package internal(set) var lifetime = ConfigDuration.seconds(60)
    /// Extra claims, each a JSON value as text (strings quoted), in the order written.
    package internal(set) var claims: [Claim] = []
    /// A fresh token (and `jti`) for every request instead of one reused until shortly before it expires.
    package internal(set) var perRequest = false
    /// `authorization` (then `Bearer <jwt>`), or another header that carries the bare token.
    package internal(set) var header = "authorization"

    package struct Claim: Sendable, Hashable {
        package let name: String
        /// The value as JSON text.
        package let json: String
    }

    /// The claims the proxy writes itself; a config claim cannot replace them.
    static let reservedClaims: Set<String> = ["iss", "sub", "aud", "iat", "exp", "nbf", "jti"]
}

/// The private key of `auth_scheme: jwt`, parsed from PEM for its algorithm.
package enum JWTSigningKey: Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)

    /// The key, or why the PEM is not a key of that algorithm.
    package static func parse(_ pem: String, for algorithm: JWTAssertionSettings.Algorithm) -> Result<JWTSigningKey, JWTKeyProblem> {
        do {
            switch algorithm {
            case .rs256: return .success(.rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem)))
            case .es256: return .success(.p256(try P256.Signing.PrivateKey(pemRepresentation: pem)))
            case .eddsa: return .success(.ed25519(try Curve25519.Signing.PrivateKey(pemRepresentation: pem)))
            }
        } catch {
            let wanted = ["RS256": "an RSA private key (2048 bits or more)", "ES256": "a P-256 EC private key", "EdDSA": "an Ed25519 private key"][algorithm.rawValue]!
            return .failure(JWTKeyProblem(description: "is not \(wanted) in PEM"))
        }
    }

    /// The JWS signature of `input` (RFC 7518: PKCS#1 v1.5 with SHA-256; r||s for ES256; Ed25519).
    package func sign(_ input: [UInt8]) -> [UInt8] {
        switch self {
        case .rsa(let key): return (try? key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)).map { Array($0.rawRepresentation) } ?? []
        case .p256(let key): return (try? key.signature(for: SHA256.hash(data: input))).map { Array($0.rawRepresentation) } ?? []
        case .ed25519(let key): return (try? key.signature(for: input)).map { Array($0) } ?? []
        }
    }
}

package struct JWTKeyProblem: Error, CustomStringConvertible {
    package let description: String
}
