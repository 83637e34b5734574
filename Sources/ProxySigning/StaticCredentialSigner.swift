import ProxyConfig

/// The `bearer` and `header` schemes: the same credential on every request, prepared once per
/// profile as a header name and value bytes. The `auth-gateway` key is not used.
package struct StaticCredentialSigner: RequestSigner {
    let name: String
    let value: [UInt8]

    /// Nil for a profile whose scheme signs per request (`auth-gateway`) or sends nothing (`none`).
    package init?(profile: Profile) {
        switch profile.authScheme {
        case .bearer:
            name = "authorization"
            value = Array("Bearer ".utf8) + profile.secret.bytes
        case .header:
            guard let header = profile.authHeader else { return nil }
            name = header
            value = profile.secret.bytes
        case .authGateway, .none, .oauth, .jwt, .awsSigV4:
            return nil
        }
    }

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                     into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        value.withUnsafeBytes { field(name, $0) }
    }
}

/// `auth_scheme: none`: nothing is added.
package struct NoCredentialSigner: RequestSigner {
    package init() {}

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                     into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {}
}

extension Profile {
    /// The signer for this profile's scheme; `authGateway` is the shared HMAC signer, `accessToken`
    /// the slot the control plane keeps an OAuth profile's token in, `awsCredentials` the one it
    /// keeps an aws-sigv4 profile's credentials in.
    package func signer(authGateway: any RequestSigner, accessToken: AccessTokenSlot? = nil,
                        awsCredentials: AWSCredentialSlot? = nil) -> any RequestSigner {
        switch authScheme {
        case .authGateway: return signing.template.map(TemplateSigner.init) ?? authGateway
        case .none: return NoCredentialSigner()
        case .oauth: return accessToken.map(OAuthBearerSigner.init) ?? NoCredentialSigner()
        case .bearer, .header: return StaticCredentialSigner(profile: self) ?? NoCredentialSigner()
        case .jwt: return jwt.flatMap { JWTAssertionSigner(settings: $0) } ?? NoCredentialSigner()
        case .awsSigV4: return awsCredentials.map { SigV4Signer(authority: upstream.authority, slot: $0) } ?? NoCredentialSigner()
        }
    }
}
