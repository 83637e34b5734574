#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ProxyConfig
import ProxyMetrics
import ProxySigning

/// A client `client_auth: oauth` accepted, as its token's cache entry keeps it: what the log line
/// names, what the tool policy decides with, and until when the token holds. Lives in one event
/// loop's cache and is touched from that loop only (`exchanged` is written there).
final class AcceptedClient {
    /// The `client_name_claim` value, cut and cleaned for log lines and metric labels.
    let name: String
    /// The profile's tool policy resolved for the token's scopes (`ToolPolicy.forScopes`).
    let toolPolicy: ToolPolicy?
    /// Whether the token carries every `required_scopes` entry; if not, 403 insufficient_scope.
    let hasRequiredScopes: Bool
    /// `exp` in seconds since 1970 (the skew is added where it is compared).
    let expiresAt: Int64
    let requests: ClientRequestCounter?
    /// The token itself: the cache compares it, token exchange sends it to the authorization server.
    let token: [UInt8]
    /// Whom the token is for (`sub`, else the name): the token exchange cache's key.
    let subject: String
    /// `oauth.grant: token_exchange`: the upstream token obtained for this client, while it lasts.
    var exchanged: ExchangedToken?
    /// `rate_limit.per_client`: the subject's bucket, looked up at the token's first request.
    var rateBucket: RateBucket?
    /// The upstream refused `exchanged`: the next exchange must not take the cached one.
    var needsFreshExchange = false

    /// The key set generation the token was verified under; a new set verifies it again.
    let keyGeneration: UInt64

    init(token: [UInt8], subject: String, name: String, toolPolicy: ToolPolicy?, hasRequiredScopes: Bool, expiresAt: Int64,
         requests: ClientRequestCounter?, keyGeneration: UInt64) {
        self.token = token
        self.keyGeneration = keyGeneration
        self.subject = subject
        self.name = name
        self.toolPolicy = toolPolicy
        self.hasRequiredScopes = hasRequiredScopes
        self.expiresAt = expiresAt
        self.requests = requests
    }

    /// Whether `presented` is this client's token, byte for byte.
    func holds(_ presented: UnsafeRawBufferPointer) -> Bool {
        token.count == presented.count && token.withUnsafeBytes { memcmp($0.baseAddress!, presented.baseAddress!, presented.count) == 0 }
    }

    /// At most 64 visible ASCII characters: a claim is the identity provider's text, and it ends
    /// up in log lines and metric labels.
    static func displayName(_ claim: String) -> String {
        var out = ""
        for scalar in claim.unicodeScalars.prefix(64) {
            out.unicodeScalars.append(scalar.value > 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" ? scalar : "_")
        }
        return out
    }
}
