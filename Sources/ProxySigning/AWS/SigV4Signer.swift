import Crypto
import ProxyConfig

/// `auth_scheme: aws-sigv4`: every forwarded request is signed with Signature Version 4 —
/// `host`, `x-amz-content-sha256` (the SHA-256 of the body exactly as forwarded), `x-amz-date`
/// and, for temporary credentials, `x-amz-security-token` — with the credentials the control
/// plane keeps in the slot. Per request: two SHA-256 digests and one HMAC with the day's key, the
/// canonical request, string to sign and header values written as bytes (the headers signed are
/// the proxy's own, already in canonical order, so nothing is sorted). The same bytes as
/// `SigV4.canonicalRequest` and friends, which the AWS test suite checks; `SigV4Tests` holds the
/// two to each other.
package struct SigV4Signer: RequestSigner {
    /// The credentials, and the region and service they derive the signing key for.
    package let slot: AWSCredentialSlot
    /// `host:<authority>\n`.
    private let hostLine: [UInt8]
    /// `/<region>/<service>/aws4_request`: the scope after its day, for the slot's region and
    /// service, so the scope and the key can never name two regions.
    private let scopeTail: [UInt8]

    /// - Parameter authority: the `Host` value the request goes with (`UpstreamURL.authority`).
    package init(authority: String, slot: AWSCredentialSlot) {
        self.slot = slot
        hostLine = Array("host:\(SigV4.trimmed(authority))\n".utf8)
        scopeTail = Array("/\(slot.region)/\(slot.service)/aws4_request".utf8)
    }

    package var signsBody: Bool { true }

    /// One request's signature and what it is made of.
    package struct Signed {
        package var canonicalRequest: [UInt8]
        package var stringToSign: [UInt8]
        package var scope: String { String(decoding: stringToSign.split(separator: 0x0A, omittingEmptySubsequences: false)[2], as: UTF8.self) }
        package var authorization: [UInt8]
        package var payloadHash: [UInt8]
        package var amzDate: [UInt8]
        package var sessionToken: [UInt8]?

        /// The headers the proxy adds, in the order it writes them.
        package var headers: [(String, String)] {
            var all = [("authorization", authorization), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
            if let sessionToken { all.append(("x-amz-security-token", sessionToken)) }
            return all.map { ($0.0, String(decoding: $0.1, as: UTF8.self)) }
        }
    }

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                      into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        sign(method: method, target: target, body: nil, header: { _ in nil }, key: key, unixMilliseconds: unixMilliseconds, into: field)
    }

    package func sign(method: String, target: String, body: UnsafeRawBufferPointer?, header: (String) -> String?, key: SigningKey,
                      unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        guard let signed = signature(method: method, target: target, body: body, unixSeconds: unixMilliseconds / 1000) else { return }
        signed.authorization.withUnsafeBytes { field("authorization", $0) }
        signed.payloadHash.withUnsafeBytes { field("x-amz-content-sha256", $0) }
        signed.amzDate.withUnsafeBytes { field("x-amz-date", $0) }
        signed.sessionToken?.withUnsafeBytes { field("x-amz-security-token", $0) }
    }

    /// The signature of one request; nil without credentials.
    package func signature(method: String, target: String, body: UnsafeRawBufferPointer?, unixSeconds: Int64) -> Signed? {
        guard let material = slot.material(unixSeconds: unixSeconds) else { return nil }
        let amzDate = SigV4.amzDateBytes(unixSeconds: unixSeconds)
        let payloadHash = SigV4.hexSHA256Bytes(body ?? UnsafeRawBufferPointer(start: nil, count: 0))

        var canonical: [UInt8] = []
        canonical.reserveCapacity(320 + target.utf8.count + (material.sessionToken?.count ?? 0))
        canonical += method.utf8
        canonical.append(0x0A)
        SigV4.appendCanonicalTarget(target, to: &canonical)
        canonical += hostLine
        canonical += SigV4.contentHashPrefix
        canonical += payloadHash
        canonical += SigV4.datePrefix
        canonical += amzDate
        canonical.append(0x0A)
        if let token = material.sessionToken {
            canonical += SigV4.tokenPrefix
            canonical += token
            canonical.append(0x0A)
        }
        canonical.append(0x0A)
        canonical += material.sessionToken == nil ? SigV4.signedHeaders : SigV4.signedHeadersWithToken
        canonical.append(0x0A)
        canonical += payloadHash

        var stringToSign: [UInt8] = []
        stringToSign.reserveCapacity(160 + scopeTail.count)
        stringToSign += SigV4.algorithmLine
        stringToSign += amzDate
        stringToSign.append(0x0A)
        stringToSign += amzDate[0..<8]
        stringToSign += scopeTail
        stringToSign.append(0x0A)
        stringToSign += canonical.withUnsafeBytes(SigV4.hexSHA256Bytes)

        var authorization: [UInt8] = []
        authorization.reserveCapacity(200 + material.accessKeyID.count + scopeTail.count)
        authorization += SigV4.credentialPrefix
        authorization += material.accessKeyID
        authorization.append(UInt8(ascii: "/"))
        authorization += amzDate[0..<8]
        authorization += scopeTail
        authorization += SigV4.signedHeadersPrefix
        authorization += material.sessionToken == nil ? SigV4.signedHeaders : SigV4.signedHeadersWithToken
        authorization += SigV4.signaturePrefix
        stringToSign.withUnsafeBytes { message in
            material.key.authenticationCode(for: message) { mac in SigV4.appendHex(mac, to: &authorization) }
        }
        return Signed(canonicalRequest: canonical, stringToSign: stringToSign, authorization: authorization,
                      payloadHash: payloadHash, amzDate: amzDate, sessionToken: material.sessionToken)
    }
}
