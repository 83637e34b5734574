import NIOCore
import ProxyConfig
import ProxySigning

/// What a request the proxy sends to a profile's upstream needs to be signed and its echo
/// redacted: the endpoint, the signer with its key, and the secret. `UpstreamCall` takes this
/// rather than a whole `ProfileRuntime`, so what the call depends on is what it gets.
package struct UpstreamCredentials: Sendable {
    package let endpoint: UpstreamEndpoint
    let signer: any RequestSigner
    let signingKey: SigningKey
    let secret: [UInt8]
    let authScheme: Profile.AuthScheme
    /// `auth_scheme: oauth`: nothing is sent while the slot holds no token.
    package let accessToken: AccessTokenSlot?

    /// Hands each header the signer writes on the request `method target` signed at
    /// `unixMilliseconds` to `field` (valid during the call only).
    func sign(method: String, target: String, body: ByteBuffer? = nil, unixMilliseconds: Int64, into field: (String, UnsafeRawBufferPointer) -> Void) {
        if signer.signsBody, let body {
            body.withUnsafeReadableBytes { body in
                signer.sign(method: method, target: target, body: body, header: { _ in nil }, key: signingKey, unixMilliseconds: unixMilliseconds, into: field)
            }
        } else {
            signer.sign(method: method, target: target, body: nil, header: { _ in nil }, key: signingKey, unixMilliseconds: unixMilliseconds, into: field)
        }
    }
}

extension ProfileRuntime {
    package var upstreamCredentials: UpstreamCredentials {
        UpstreamCredentials(endpoint: endpoint, signer: signer, signingKey: signingKey, secret: profile.secret.bytes, authScheme: profile.authScheme,
                            accessToken: accessToken)
    }
}
