import Crypto
import ProxyConfig

/// A profile's signing credentials, prepared once at start-up: the keyed HMAC state (inner and
/// outer pads already absorbed) is built here and only copied per request.
///
/// The secret lives inside the HMAC state and nowhere else; `description` never shows it.
package struct SigningKey: Sendable, CustomStringConvertible {
    enum KeyedState: @unchecked Sendable {
        // @unchecked: swift-crypto's HMAC is a value type whose digest context is copy-on-write;
        // each copy is used by one thread only, so sharing the prepared original is safe.
        case sha256(HMAC<SHA256>)
        case sha384(HMAC<SHA384>)
        case sha512(HMAC<SHA512>)
    }

    package let keyID: String
    package let options: SigningOptions
    let keyed: KeyedState

    package init(keyID: String, secret: Secret, options: SigningOptions) {
        self.keyID = keyID
        self.options = options
        let key = SymmetricKey(data: secret.bytes)
        switch options.algorithm {
        case .hmacSHA256: keyed = .sha256(HMAC<SHA256>(key: key))
        case .hmacSHA384: keyed = .sha384(HMAC<SHA384>(key: key))
        case .hmacSHA512: keyed = .sha512(HMAC<SHA512>(key: key))
        }
    }

    package init(profile: Profile) {
        self.init(keyID: profile.keyID, secret: profile.secret, options: profile.signing)
    }

    package var description: String { "<signing key \(keyID), \(options.algorithm.rawValue)>" }

    /// The MAC of `message`, computed on a copy of the prepared state and handed to `body`
    /// without being copied out of the digest.
    func authenticationCode<T>(for message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        switch keyed {
        case .sha256(var state):
            state.update(data: message)
            return state.finalize().withUnsafeBytes(body)
        case .sha384(var state):
            state.update(data: message)
            return state.finalize().withUnsafeBytes(body)
        case .sha512(var state):
            state.update(data: message)
            return state.finalize().withUnsafeBytes(body)
        }
    }
}
