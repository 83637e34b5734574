/// `oauth.grant: token_exchange`: the control plane's side of acting on behalf of a client. The
/// data plane hands it the client's own access token (which it has verified) and gets a token for
/// the upstream in return (RFC 8693), which it then caches with the client until it expires.
package protocol TokenExchanging: Sendable {
    /// A token for the upstream on behalf of `subject`, whose access token is `subjectToken`;
    /// `fresh`: not the cached one (the upstream refused it).
    func exchange(subjectToken: String, subject: String, fresh: Bool) async throws -> ExchangedToken
}

/// An upstream token obtained by token exchange: the prepared `Bearer …` value, never logged.
package struct ExchangedToken: Sendable, CustomStringConvertible {
    package let header: [UInt8]
    /// Seconds since 1970.
    package let expiresAt: Int64

    package init(accessToken: String, expiresAt: Int64) {
        header = Array("Bearer ".utf8) + Array(accessToken.utf8)
        self.expiresAt = expiresAt
    }

    /// An exchanged token is not used in its last seconds: the request still has to get there.
    package static let margin: Int64 = 10

    /// Whether it may still be sent at `now` (seconds since 1970).
    package func lasts(at now: Int64) -> Bool { expiresAt - Self.margin > now }

    package var description: String { "<exchanged token, hidden>" }
}
