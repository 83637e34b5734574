import MCPMessages
import ProxyConfig

/// A JWS in compact serialisation (RFC 7515 §7.1), split and decoded but not yet trusted: the
/// header and claims are parsed JSON, the signature raw bytes, the signing input the exact bytes
/// the signature covers. Duplicate member names are refused (RFC 7515 §5.2: a parser that took
/// the first `iss` and a verifier that took the last would disagree).
struct CompactJWS {
    let header: JSONNode
    let claims: JSONNode
    let signingInput: [UInt8]
    let signature: [UInt8]

    /// Tokens longer than this are not JWTs an identity provider issues (and would cost a parse).
    static let maximumBytes = 16 * 1024

    init?(_ token: UnsafeRawBufferPointer) {
        guard token.count <= Self.maximumBytes else { return nil }
        var dots: [Int] = []
        for (index, byte) in token.enumerated() where byte == UInt8(ascii: ".") {
            dots.append(index)
            if dots.count > 2 { return nil }
        }
        // Three parts; a JWE has five, a JWS with a detached or empty payload is not a token.
        guard dots.count == 2, dots[0] > 0, dots[1] > dots[0] + 1, dots[1] + 1 < token.count else { return nil }
        guard let headerBytes = Base64URL.decode(UnsafeRawBufferPointer(rebasing: token[0..<dots[0]])),
              let claimBytes = Base64URL.decode(UnsafeRawBufferPointer(rebasing: token[(dots[0] + 1)..<dots[1]])),
              let signature = Base64URL.decode(UnsafeRawBufferPointer(rebasing: token[(dots[1] + 1)...])),
              case .success(let header) = JSONNode.parsing(headerBytes, rejectingDuplicateKeys: true),
              case .success(let claims) = JSONNode.parsing(claimBytes, rejectingDuplicateKeys: true),
              case .object = header, case .object = claims else { return nil }
        self.header = header
        self.claims = claims
        signingInput = Array(UnsafeRawBufferPointer(rebasing: token[0..<dots[1]]))
        self.signature = signature
    }
}
