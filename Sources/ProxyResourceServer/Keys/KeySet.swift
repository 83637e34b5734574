import Crypto
import _CryptoExtras
import MCPMessages
import ProxyConfig

/// The identity provider's JWKS (RFC 7517 §5) as verification keys. Keys for encryption
/// (`use: enc`), symmetric keys (`kty: oct`) and key types the proxy does not verify with are
/// skipped and named in `skipped`, so `check` and the logs can say why a `kid` is missing.
package struct KeySet: Sendable {
    let keys: [VerificationKey]
    /// One line per key left out, for the log.
    package let skipped: [String]

    package var count: Int { keys.count }
    package var keyIDs: [String] { keys.compactMap(\.keyID) }

    package static let empty = KeySet(keys: [], skipped: [])

    init(keys: [VerificationKey], skipped: [String]) {
        self.keys = keys
        self.skipped = skipped
    }

    package enum Failure: Error, Equatable, CustomStringConvertible {
        case notJSON
        case noKeys

        package var description: String {
            switch self {
            case .notJSON: "the JWKS is not a JSON object with a `keys` array"
            case .noKeys: "the JWKS has no key the proxy can verify signatures with"
            }
        }
    }

    package static func parse(_ bytes: [UInt8]) -> Result<KeySet, Failure> {
        guard case .success(let node) = JSONNode.parsing(bytes, rejectingDuplicateKeys: true),
              case .array(let items)? = node["keys"] else { return .failure(.notJSON) }
        var keys: [VerificationKey] = []
        var skipped: [String] = []
        for (index, item) in items.enumerated() {
            switch key(item) {
            case .success(let key): keys.append(key)
            case .failure(let reason): skipped.append("key \(item["kid"]?.string.map { "\"\($0)\"" } ?? "#\(index)"): \(reason.text)")
            }
        }
        return keys.isEmpty ? .failure(.noKeys) : .success(KeySet(keys: keys, skipped: skipped))
    }

    struct Skip: Error { let text: String }

    static func key(_ jwk: JSONNode) -> Result<VerificationKey, Skip> {
        if let use = jwk["use"]?.string, use != "sig" { return .failure(Skip(text: "use \(use), not sig")) }
        if case .array(let operations)? = jwk["key_ops"], !operations.contains(where: { $0.string == "verify" }) {
            return .failure(Skip(text: "key_ops without verify"))
        }
        var algorithm: ClientOAuthSettings.Algorithm?
        if let name = jwk["alg"]?.string {
            guard let known = ClientOAuthSettings.Algorithm(rawValue: name) else { return .failure(Skip(text: "alg \(name) is not one the proxy verifies")) }
            algorithm = known
        }
        let kid = jwk["kid"]?.string
        func field(_ name: String) -> [UInt8]? { jwk[name]?.string.flatMap(Base64URL.decode) }
        do {
            switch jwk["kty"]?.string {
            case "RSA":
                guard let n = field("n"), let e = field("e") else { return .failure(Skip(text: "RSA key without n and e")) }
                return .success(VerificationKey(keyID: kid, algorithm: algorithm, material: .rsa(try _RSA.Signing.PublicKey(n: n, e: e))))
            case "EC":
                guard let x = field("x"), let y = field("y") else { return .failure(Skip(text: "EC key without x and y")) }
                switch jwk["crv"]?.string {
                case "P-256":
                    return .success(VerificationKey(keyID: kid, algorithm: algorithm, material: .p256(try P256.Signing.PublicKey(rawRepresentation: x + y))))
                case "P-384":
                    return .success(VerificationKey(keyID: kid, algorithm: algorithm, material: .p384(try P384.Signing.PublicKey(rawRepresentation: x + y))))
                default:
                    return .failure(Skip(text: "curve \(jwk["crv"]?.string ?? "(none)") is not P-256 or P-384"))
                }
            case "OKP":
                guard jwk["crv"]?.string == "Ed25519", let x = field("x") else { return .failure(Skip(text: "OKP key that is not Ed25519")) }
                return .success(VerificationKey(keyID: kid, algorithm: algorithm, material: .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))))
            case "oct":
                return .failure(Skip(text: "a symmetric key is never used to verify tokens"))
            default:
                return .failure(Skip(text: "kty \(jwk["kty"]?.string ?? "(none)") is not RSA, EC or OKP"))
            }
        } catch {
            return .failure(Skip(text: "not a valid public key (\(error))"))
        }
    }

    /// The keys that may check a token whose header names `kid` and `algorithm`: with a `kid`,
    /// the keys of that id; without one, every key that fits the algorithm.
    func candidates(kid: String?, algorithm: ClientOAuthSettings.Algorithm) -> [VerificationKey] {
        keys.filter { (kid == nil || $0.keyID == kid) && $0.fits(algorithm) }
    }

    func knows(kid: String) -> Bool { keys.contains { $0.keyID == kid } }
}
