import MCPMessages
import NIOCore
import ProxyLogging

/// What a listener does for `auth_scheme: oauth` beyond writing the token: wait for a fresh one
/// after a 401, and name the missing scopes after a 403.
extension ClientConnectionHandler {
    /// The upstream refused the OAuth token this exchange was sent with: the keeper refreshes, and
    /// the machine hears (on this loop) once the token is newer, to send the request once more.
    func awaitFreshToken() {
        guard let accessToken = runtime.accessToken else { return }
        let generation = signedTokenGeneration
        let number = machine.exchange.number
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        accessToken.whenRenewed(after: generation) {
            loop.execute {
                let handler = bound.value
                guard handler.context != nil else { return }
                handler.execute(handler.machine.tokenRenewed(forExchange: number))
            }
        }
        accessToken.reportRejected(generation: generation)
    }

    /// A 403 `insufficient_scope` from an OAuth upstream: the scopes it asks for and the command
    /// that grants them, since the client never sees the challenge.
    func logInsufficientScope(_ head: ResponseHead) {
        var challenges: [String] = []
        head.bytes.withUnsafeReadableBytes { raw in
            for field in head.fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), "www-authenticate") {
                challenges.append(String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self))
            }
        }
        guard let challenge = BearerChallenge(headerValues: challenges), challenge.error == "insufficient_scope" else { return }
        let profile = runtime.profile.name
        var line = LogLine(level: .warning, event: "oauth_insufficient_scope")
        line.field("profile", profile)
        line.field("scope", challenge.scope ?? "")
        let scopes = challenge.scope.map { " --scope \"\($0)\"" } ?? ""
        line.field("fix", "mcp-auth-proxy login --profile \(profile)\(scopes)")
        runtime.log.emit(line)
    }
}
