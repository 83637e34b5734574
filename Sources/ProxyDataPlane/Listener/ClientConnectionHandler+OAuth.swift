import MCPMessages
import NIOCore
import ProxyLogging
import ProxySigning

/// What a listener does for `auth_scheme: oauth` beyond writing the token: wait for a fresh one
/// after a 401, and name the missing scopes after a 403.
extension ClientConnectionHandler {
    /// The upstream refused the OAuth token this exchange was sent with: the keeper refreshes, and
    /// the machine hears (on this loop) once the token is newer, to send the request once more.
    func awaitFreshToken() {
        if runtime.tokenExchange != nil {
            // Token exchange: the client's upstream token is forgotten, and the request goes once
            // more with a newly exchanged one (after this action, not inside it).
            machine.exchange.client?.exchanged = nil
            machine.exchange.client?.needsFreshExchange = true
            let number = machine.exchange.number
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let handler = bound.value
                guard handler.context != nil else { return }
                handler.execute(handler.machine.tokenRenewed(forExchange: number))
            }
            return
        }
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

    /// `oauth.grant: token_exchange`: the request goes with the token exchanged for its client,
    /// obtained first (on the control plane; the request waits in `awaitingUpstream`, under
    /// `request_timeout`) when the client has none that lasts. A failed exchange answers 503.
    func forwardWithExchangedToken(_ request: UpstreamRequest) {
        guard let exchanger = runtime.tokenExchange, let client = machine.exchange.client else {
            return execute(machine.upstreamFailed(.credentialUnavailable("profile `\(runtime.profile.name)` exchanges client tokens, and this request has none")))
        }
        if let exchanged = client.exchanged, exchanged.lasts(at: InboundOAuth.now()) {
            return send(request, authorization: exchanged.header)
        }
        let number = request.exchangeNumber
        let subjectToken = String(decoding: client.token, as: UTF8.self)
        let subject = client.subject
        let fresh = client.needsFreshExchange
        client.needsFreshExchange = false
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let clientBox = NIOLoopBound(client, eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask {
            try await exchanger.exchange(subjectToken: subjectToken, subject: subject, fresh: fresh)
        }.whenComplete { result in
            let handler = bound.value
            guard handler.context != nil, handler.machine.awaitsUpstream(forExchange: number) else { return }
            switch result {
            case .success(let token):
                clientBox.value.exchanged = token
                handler.send(request, authorization: token.header)
            case .failure(let error):
                handler.execute(handler.machine.upstreamFailed(.credentialUnavailable("the token exchange for this client failed: \(error)")))
            }
        }
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
