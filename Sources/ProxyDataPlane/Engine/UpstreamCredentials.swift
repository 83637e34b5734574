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
    /// `auth_scheme: aws-sigv4`: nothing is sent while the slot holds no credentials.
    package let awsCredentials: AWSCredentialSlot?

    /// Why no request can be signed now (no OAuth token, no AWS credentials), or nil; and the
    /// token generation a request goes with. One rule for the listeners and the bridge.
    static func availability(accessToken: AccessTokenSlot?, awsCredentials: AWSCredentialSlot?) -> (problem: String?, generation: UInt64) {
        if let accessToken { return accessToken.current }
        return (awsCredentials?.problem, 0)
    }

    var availability: (problem: String?, generation: UInt64) {
        Self.availability(accessToken: accessToken, awsCredentials: awsCredentials)
    }

    /// Hands each header the signer writes on the request `method target` signed at
    /// `unixMilliseconds` to `field` (valid during the call only).
    func sign(method: String, target: String, body: ByteBuffer? = nil, unixMilliseconds: Int64, into field: (String, UnsafeRawBufferPointer) -> Void) {
        signer.sign(method: method, target: target, forwarding: body, header: { _ in nil }, key: signingKey, unixMilliseconds: unixMilliseconds, into: field)
    }

}

extension ProfileRuntime {
    package var upstreamCredentials: UpstreamCredentials {
        UpstreamCredentials(endpoint: endpoint, signer: signer, signingKey: signingKey, secret: profile.secret.bytes, authScheme: profile.authScheme,
                            accessToken: accessToken, awsCredentials: awsCredentials)
    }
}

extension RequestSigner {
    /// Signs a request whose body goes upstream as `body`: its bytes are lent to the signer only
    /// when this signer signs bodies (`signsBody`), so the others never touch them.
    func sign(method: String, target: String, forwarding body: ByteBuffer?, header: (String) -> String?, key: SigningKey,
              unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        if signsBody, let body {
            body.withUnsafeReadableBytes { bytes in
                sign(method: method, target: target, body: bytes, header: header, key: key, unixMilliseconds: unixMilliseconds, into: field)
            }
        } else {
            sign(method: method, target: target, body: nil, header: header, key: key, unixMilliseconds: unixMilliseconds, into: field)
        }
    }
}
