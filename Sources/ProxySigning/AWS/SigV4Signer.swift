import Crypto
import ProxyConfig

/// `auth_scheme: aws-sigv4`: every forwarded request is signed with Signature Version 4 —
/// `host`, `x-amz-content-sha256` (the SHA-256 of the body exactly as forwarded), `x-amz-date`
/// and, for temporary credentials, `x-amz-security-token` — with the credentials the control
/// plane keeps in the slot. Per request: two SHA-256 digests and one HMAC with the day's key.
package struct SigV4Signer: RequestSigner {
    let settings: AWSSigningSettings
    /// The `Host` value the request goes with (`UpstreamURL.authority`).
    let authority: String
    package let slot: AWSCredentialSlot

    package init(settings: AWSSigningSettings, authority: String, slot: AWSCredentialSlot) {
        self.settings = settings
        self.authority = authority
        self.slot = slot
    }

    package var signsBody: Bool { true }

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                      into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        sign(method: method, target: target, body: nil, header: { _ in nil }, key: key, unixMilliseconds: unixMilliseconds, into: field)
    }

    package func sign(method: String, target: String, body: UnsafeRawBufferPointer?, header: (String) -> String?, key: SigningKey,
                      unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        guard let signed = signature(method: method, target: target, body: body, unixSeconds: unixMilliseconds / 1000) else { return }
        for (name, value) in signed.headers {
            var value = value
            value.withUTF8 { field(name, UnsafeRawBufferPointer($0)) }
        }
    }

    /// Everything one request's signature consists of (also what `sign` prints); nil without credentials.
    package func signature(method: String, target: String, body: UnsafeRawBufferPointer?, unixSeconds: Int64)
        -> (canonicalRequest: [UInt8], stringToSign: [UInt8], scope: String, headers: [(String, String)])? {
        let amzDate = SigV4.amzDate(unixSeconds: unixSeconds)
        guard let material = slot.material(unixSeconds: unixSeconds, amzDate: amzDate) else { return nil }
        let payloadHash = SigV4.hexSHA256(body ?? UnsafeRawBufferPointer(start: nil, count: 0))
        var headers = [("host", authority), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        if let token = material.sessionToken { headers.append(("x-amz-security-token", token)) }
        let canonical = SigV4.canonicalRequest(method: method, target: target, headers: headers.map { (name: $0.0, value: $0.1) }, payloadHash: payloadHash)
        let scope = SigV4.scope(day: amzDate.prefix(8), region: settings.region, service: settings.service)
        let stringToSign = SigV4.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical.bytes)
        let signature = SigV4.signature(of: stringToSign, key: material.key)
        var added = [("authorization", SigV4.authorization(accessKeyID: material.accessKeyID, scope: scope, signedHeaders: canonical.signedHeaders, signature: signature))]
        added += headers.dropFirst()
        return (canonical.bytes, stringToSign, scope, added)
    }
}
