import ProxyConfig

/// What `mcp-auth-proxy sign` prints: for one request, the exact bytes a scheme signs (where it
/// signs any) and the headers the proxy would add — computed by the profile's real signer, with
/// every value that is itself a credential replaced by a description of where it comes from.
package struct SigningExplanation: Sendable {
    /// The string to sign, as bytes; nil for schemes that sign nothing per request.
    package var stringToSign: [UInt8]?
    /// SigV4's canonical request, which the string to sign hashes, with the session token hidden.
    package var canonicalRequest: [UInt8]?
    /// The length of the canonical request as hashed (with the token).
    package var canonicalRequestLength = 0
    /// Each header the proxy adds, in order: its value, or `<…>` for one that is a credential.
    package var headers: [(name: String, value: String)] = []
    /// Lines about the scheme that are neither (a JWT's decoded header and claims, notes).
    package var notes: [String] = []

    /// - Parameter awsCredentials: an aws-sigv4 profile's credentials, as its keeper found them.
    package static func explain(profile: Profile, method: String, target: String, body: [UInt8]? = nil, nonce: String? = nil,
                                unixMilliseconds: Int64, awsCredentials: AWSCredentials? = nil) -> SigningExplanation {
        var explanation = SigningExplanation()
        // What the profile's real signer writes; asked only by the schemes shown through it.
        func signedFields() -> [(String, [UInt8])] {
            var fields: [(String, [UInt8])] = []
            profile.signer(authGateway: AuthGatewaySigner()).sign(method: method, target: target, key: SigningKey(profile: profile),
                                                                   unixMilliseconds: unixMilliseconds) { name, value in
                fields.append((name, Array(value)))
            }
            return fields
        }
        switch profile.authScheme {
        case .authGateway:
            if let template = profile.signing.template {
                let rendered = (body ?? []).withUnsafeBytes { body in
                    TemplateSigner(template: template).stringToSign(method: method, target: target, body: body, key: SigningKey(profile: profile),
                                                                    unixMilliseconds: unixMilliseconds, nonce: nonce ?? "<random per request>")
                }
                explanation.stringToSign = rendered.input
                explanation.headers = rendered.headers
                explanation.notes = ["\(profile.signing.algorithm.rawValue) over signing.string_to_sign, keyed with the secret from \(profile.secret.source), encoded as \(profile.signing.encoding.rawValue)"]
                    + (template.usesBody ? ["body: \(body?.count ?? 0) bytes, hashed into {body_sha256}"] : [])
                break
            }
            let timestamp = profile.signing.timestampUnit == .unixSeconds ? unixMilliseconds / 1000 : unixMilliseconds
            explanation.stringToSign = Array(method.utf8) + [0x0A] + Array(target.utf8) + [0x0A] + Array(String(timestamp).utf8)
            explanation.headers = signedFields().map { ($0.0, String(decoding: $0.1, as: UTF8.self)) }
            explanation.notes = ["\(profile.signing.algorithm.rawValue) keyed with the secret from \(profile.secret.source), encoded as \(profile.signing.encoding.rawValue)"]
        case .bearer, .header:
            let prefix = profile.authScheme == .bearer ? "Bearer " : ""
            explanation.headers = signedFields().map { ($0.0, prefix + "<the secret from \(profile.secret.source), \(profile.secret.bytes.count) bytes, hidden>") }
            explanation.notes = ["the same credential on every request: nothing is signed"]
        case .oauth:
            explanation.headers = [("authorization", "Bearer <the profile's current OAuth access token, hidden>")]
            explanation.notes = ["nothing is signed: the access token comes from `mcp-auth-proxy login` (docs/oauth.md)"]
        case .jwt:
            guard let jwt = profile.jwt, let (name, value) = signedFields().first else { break }
            let token = String(decoding: value, as: UTF8.self).replacingBearer()
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 3 {
                explanation.stringToSign = Array((parts[0] + "." + parts[1]).utf8)
                explanation.notes.append("JWT header: " + String(decoding: Base64URL.decode(String(parts[0])) ?? [], as: UTF8.self))
                explanation.notes.append("JWT claims: " + String(decoding: Base64URL.decode(String(parts[1])) ?? [], as: UTF8.self))
                explanation.notes.append("signed with \(jwt.algorithm.rawValue), the private key from \(jwt.privateKey.source); "
                    + (jwt.perRequest ? "a new token for every request" : "the token is reused until 10 s before it expires"))
            }
            explanation.headers = [(name, (name == "authorization" ? "Bearer " : "") + "<the JWT above with its \(parts.last?.count ?? 0)-character signature: a credential, hidden>")]
        case .awsSigV4:
            guard let aws = profile.aws else { break }
            let slot = AWSCredentialSlot(region: aws.region, service: aws.service, problem: "no credentials")
            guard let awsCredentials else {
                explanation.notes = ["no AWS credentials from \(aws.credentials): nothing can be signed"]
                break
            }
            slot.store(awsCredentials)
            let signer = SigV4Signer(authority: profile.upstream.authority, slot: slot)
            guard let signed = (body ?? []).withUnsafeBytes({ signer.signature(method: method, target: target, body: $0, unixSeconds: unixMilliseconds / 1000) }) else { break }
            let scope = signed.scope
            // The session token is a credential: shown by its length, though the hash above is over its bytes.
            let lines = String(decoding: signed.canonicalRequest, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.utf8.starts(with: SigV4.tokenPrefix) ? "x-amz-security-token:<the session token, \(line.utf8.count - SigV4.tokenPrefix.count) bytes, hidden>" : String(line)
            }
            explanation.canonicalRequest = Array(lines.joined(separator: "\n").utf8)
            explanation.canonicalRequestLength = signed.canonicalRequest.count
            explanation.stringToSign = signed.stringToSign
            explanation.notes = [
                "credential scope: \(scope)",
                "signed with the secret access key of \(awsCredentials.accessKeyID) from \(aws.credentials)"
                    + (awsCredentials.sessionToken == nil ? "" : " (temporary; the session token is sent and signed)"),
                "body: \(body?.count ?? 0) bytes, hashed into x-amz-content-sha256",
            ]
            explanation.headers = signed.headers.map { name, value in
                (name, name == "x-amz-security-token" ? "<the session token, \(value.utf8.count) bytes, hidden>" : value)
            }
        case .none:
            explanation.notes = ["auth_scheme: none adds no credential"]
        }
        return explanation
    }

    /// The string to sign as one line: printable ASCII as is, `\n`, `\r`, `\t`, `\\` and `\xHH` otherwise.
    package var escapedStringToSign: String? { stringToSign.map(Self.escaped) }

    /// The canonical request, escaped the same way.
    package var escapedCanonicalRequest: String? { canonicalRequest.map(Self.escaped) }

    static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        for byte in bytes {
            switch byte {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out
    }
}

private extension String {
    func replacingBearer() -> String { hasPrefix("Bearer ") ? String(dropFirst("Bearer ".count)) : self }
}
