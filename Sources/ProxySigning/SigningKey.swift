import Crypto
import ProxyConfig

/// A profile's signing credentials, prepared once at start-up: HMAC (RFC 2104) as two SHA-2
/// states with the key's inner and outer pads already absorbed, only copied per request.
/// swift-crypto's `HMAC` keeps the same two states, but its `update` takes the generic
/// `DataProtocol` path and its `finalize` wraps the digest twice; with the hash functions'
/// `update(bufferPointer:)` a request's MAC is the two compressions it needs and little else.
///
/// The secret lives inside the prepared states and nowhere else; `description` never shows it.
package struct SigningKey: Sendable, CustomStringConvertible {
    enum KeyedState: Sendable {
        case sha256(PreparedHMAC<SHA256>)
        case sha384(PreparedHMAC<SHA384>)
        case sha512(PreparedHMAC<SHA512>)
    }

    package let keyID: String
    package let options: SigningOptions
    let keyed: KeyedState

    package init(keyID: String, secret: Secret, options: SigningOptions) {
        self.keyID = keyID
        self.options = options
        switch options.algorithm {
        case .hmacSHA256: keyed = .sha256(PreparedHMAC(key: secret.bytes))
        case .hmacSHA384: keyed = .sha384(PreparedHMAC(key: secret.bytes))
        case .hmacSHA512: keyed = .sha512(PreparedHMAC(key: secret.bytes))
        }
    }

    package init(profile: Profile) {
        self.init(keyID: profile.keyID, secret: profile.secret, options: profile.signing)
    }

    package var description: String { "<signing key \(keyID), \(options.algorithm.rawValue)>" }

    /// The MAC of `message`, handed to `body` without being copied out of the digest.
    func authenticationCode<T>(for message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        switch keyed {
        case .sha256(let prepared): return prepared.authenticationCode(for: message, body)
        case .sha384(let prepared): return prepared.authenticationCode(for: message, body)
        case .sha512(let prepared): return prepared.authenticationCode(for: message, body)
        }
    }
}

/// HMAC (RFC 2104) with the key's inner and outer pads absorbed once: a MAC then costs copying
/// the two states, the compressions of the message, and the outer hash of the inner digest.
package struct PreparedHMAC<H: HashFunction>: @unchecked Sendable {
    // @unchecked: swift-crypto's hash states are values whose digest context is copy-on-write;
    // each copy is used by one thread only, so sharing the prepared originals is safe.
    let inner: H
    let outer: H

    package init(key: [UInt8]) {
        var block = key.count > H.blockByteCount ? H.hash(data: key).withUnsafeBytes { Array($0) } : key
        block += repeatElement(0, count: H.blockByteCount - block.count)
        var inner = H()
        var outer = H()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of `message`, handed to `body` straight from the digest.
    package func authenticationCode<T>(for message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes(body)
    }
}

extension HashFunction {
    /// A plain digest through `update(bufferPointer:)`, not swift-crypto's generic `DataProtocol`
    /// path (a body's SHA-256 for SigV4 and templates).
    package static func digest(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var hasher = Self()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }
}
