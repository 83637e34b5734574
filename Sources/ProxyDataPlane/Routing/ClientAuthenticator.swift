import ProxyConfig

/// Checks the inbound `Authorization: Bearer <token>` of `client_auth: bearer` against the
/// profile's client tokens. Every token is compared in full whatever matched (constant time in
/// the presented bytes), so timing tells an attacker neither which token nor how much of one
/// matched. Reads the head's bytes in place; nothing is allocated per request.
struct ClientAuthenticator: Sendable {
    private let tokens: [[UInt8]]
    /// The clients' names, index for index with the tokens (for log lines and metrics).
    let names: [String]

    /// nil for `client_auth: none`: every client is accepted.
    init?(_ clientAuth: ClientAuth) {
        guard case .bearer(let tokens) = clientAuth else { return nil }
        self.tokens = tokens.map(\.token.bytes)
        names = tokens.map(\.name)
    }

    /// The index (in `names`) of the client whose token the head carries; nil when it carries none
    /// that matches (missing header, another scheme, several Authorization fields, a wrong token).
    func client(presentedIn head: RequestHead) -> Int? {
        Self.withPresentedToken(in: head) { presented -> Int? in
            guard case .token(let token) = presented else { return nil }
            var matched: Int?
            for (index, candidate) in tokens.enumerated() where Self.constantTimeEquals(token, candidate) {
                matched = index
            }
            return matched
        }
    }

    /// What a request head presents as its client credential.
    enum Presented {
        case none
        /// More than one Authorization field: which one counts is ambiguous, so none does.
        case several
        /// An Authorization field of another scheme, or an empty bearer token.
        case notBearer
        case token(UnsafeRawBufferPointer)
    }

    /// The bearer token of the head's one `Authorization` field, read in place and handed to
    /// `body` (valid only during the call). Shared by `client_auth: bearer` and `oauth`.
    static func withPresentedToken<T>(in head: RequestHead, _ body: (Presented) -> T) -> T {
        head.bytes.withUnsafeReadableBytes { raw -> T in
            var presented: UnsafeRawBufferPointer?
            for field in head.fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), "authorization") {
                guard presented == nil else { return body(.several) }
                presented = UnsafeRawBufferPointer(rebasing: raw[field.value])
            }
            guard let value = presented else { return body(.none) }
            guard let token = bearerToken(value) else { return body(.notBearer) }
            return body(.token(token))
        }
    }

    /// The token after `Bearer` (scheme case-insensitive, RFC 9110 §11.6.2), without spaces.
    static func bearerToken(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let scheme = "bearer"
        guard value.count > scheme.utf8.count + 1,
              ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: value[0..<scheme.utf8.count]), lowercased: scheme),
              value[scheme.utf8.count] == 0x20 else { return nil }
        var start = scheme.utf8.count + 1
        var end = value.count
        while start < end, value[start] == 0x20 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        guard start < end else { return nil }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }

    /// Compares every byte of `expected` whatever the lengths, so the time depends on the token's
    /// length only, never on where a difference is.
    static func constantTimeEquals(_ presented: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: presented.count ^ expected.count)
        for index in 0..<expected.count {
            let byte = presented.isEmpty ? 0 : presented[index % presented.count]
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }
}
