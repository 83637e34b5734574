import NIOCore

/// The credentials of one request, removed from upstream bytes before the proxy logs them or
/// hands them to a client as an error detail. A debugging server or a gateway's 401 page may
/// echo the request's headers: the profile's secret, the signature, the `Authorization` value
/// the proxy sent and the client token it consumed must not reach a log line or the bridge's
/// client through it. Built only when there is such a body to show (error responses), so the
/// request path pays nothing for it but keeping the signing time.
package struct CredentialRedaction {
    static let marker = Array("[redacted]".utf8)
    /// Shorter values are not searched for: they would match ordinary text, and reveal nothing.
    static let minimumLength = 4

    private var values: [[UInt8]] = []

    /// Nothing to redact yet (tests, and callers that add their own values).
    init() {}

    /// The profile's secret and every value its signer wrote on the request signed at
    /// `unixMilliseconds` (but the `auth-gateway` key id and timestamp, which are no credentials).
    init(credentials: UpstreamCredentials, method: String, target: String, unixMilliseconds: Int64) {
        add(credentials.secret)
        if let aws = credentials.awsCredentials?.credentials {
            add(aws.secretAccessKey)
            if let token = aws.sessionToken { add(token.utf8) }
        }
        let options = credentials.signingKey.options
        credentials.sign(method: method, target: target, unixMilliseconds: unixMilliseconds) { name, value in
            guard credentials.authScheme != .authGateway || (name != options.keyIDHeader && name != options.timestampHeader) else { return }
            guard name != "x-amz-date", name != "x-amz-content-sha256" else { return }
            add(value)
        }
    }

    /// The values of the client's `Authorization` fields, whole and as the token after the scheme.
    mutating func addAuthorization(of head: RequestHead) {
        head.bytes.withUnsafeReadableBytes { raw in
            for field in head.fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), "authorization") {
                let value = Array(UnsafeRawBufferPointer(rebasing: raw[field.value]))
                add(value)
                if let space = value.firstIndex(of: 0x20) { add(value[(space + 1)...].drop { $0 == 0x20 }) }
            }
        }
    }

    mutating func add(_ value: some Collection<UInt8>) {
        guard value.count >= Self.minimumLength else { return }
        let value = Array(value)
        values.append(value)
        // The same value as a JSON encoder that escapes "/" writes it (base64 signatures have some).
        if value.contains(UInt8(ascii: "/")) {
            values.append(value.flatMap { $0 == UInt8(ascii: "/") ? [UInt8(ascii: "\\"), $0] : [$0] })
        }
    }

    /// `bytes` with every occurrence of a value replaced by `[redacted]`. When `truncated` (the
    /// bytes are the start of a longer body), a value cut off at the end is replaced too.
    package func redact(_ bytes: some Collection<UInt8>, truncated: Bool = false) -> [UInt8] {
        let input = Array(bytes)
        guard !values.isEmpty else { return input }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        scanning: while index < input.count {
            for value in values where input[index] == value[0] {
                let available = input.count - index
                if available >= value.count, input[index..<(index + value.count)].elementsEqual(value) {
                    output += Self.marker
                    index += value.count
                    continue scanning
                }
                if truncated, available < value.count, available >= Self.minimumLength - 1,
                   input[index...].elementsEqual(value.prefix(available)) {
                    output += Self.marker
                    break scanning
                }
            }
            output.append(input[index])
            index += 1
        }
        return output
    }
}
