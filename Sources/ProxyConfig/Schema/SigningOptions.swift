/// How the `auth-gateway` signature is computed and carried; defaults match the gateway's defaults.
package struct SigningOptions: Sendable, Hashable {
    package enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case hmacSHA256 = "hmac-sha256"
        case hmacSHA384 = "hmac-sha384"
        case hmacSHA512 = "hmac-sha512"
    }

    package enum Encoding: String, Sendable, Hashable, CaseIterable {
        case hex
        case base64
    }

    package enum TimestampUnit: String, Sendable, Hashable, CaseIterable {
        case unixSeconds = "unix"
        case unixMilliseconds = "unix-ms"
    }

    package var algorithm: Algorithm
    package var encoding: Encoding
    package var timestampUnit: TimestampUnit
    /// Header names are kept lower-case: HTTP/1.1 compares them case-insensitively.
    package var keyIDHeader: String
    package var signatureHeader: String
    package var timestampHeader: String
    /// `string_to_sign` and `headers`: an in-house scheme; nil: the auth-gateway string and headers.
    package var template: SigningTemplate?

    package init(
        algorithm: Algorithm = .hmacSHA256,
        encoding: Encoding = .hex,
        timestampUnit: TimestampUnit = .unixSeconds,
        keyIDHeader: String = "x-api-key-id",
        signatureHeader: String = "x-signature",
        timestampHeader: String = "x-timestamp"
    ) {
        self.algorithm = algorithm
        self.encoding = encoding
        self.timestampUnit = timestampUnit
        self.keyIDHeader = keyIDHeader
        self.signatureHeader = signatureHeader
        self.timestampHeader = timestampHeader
    }

    /// The headers the proxy owns: client copies are dropped, fresh values added.
    package var ownedHeaders: [String] { template?.headers.map(\.name) ?? [keyIDHeader, signatureHeader, timestampHeader] }
}
