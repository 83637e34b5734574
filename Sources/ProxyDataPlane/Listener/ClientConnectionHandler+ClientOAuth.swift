import NIOCore
import ProxyResourceServer

/// `client_auth: oauth` at a request's head: the token is settled from the loop's cache or a
/// local verification, else the request is parked — its input unread, the client's reads paused —
/// while the control plane introspects an opaque token or refetches the keys for an unknown `kid`.
extension ClientConnectionHandler {
    /// Hands the head to the machine; false when it was parked instead (input then waits).
    func authenticateClient(_ head: RequestHead, verdict: RequestAdmission.Verdict, oauth: InboundOAuth, waitsForKeys: Bool = true) -> Bool {
        let cache = tokenCache ?? oauth.caches.cache(for: context.eventLoop)
        tokenCache = cache
        let outcome = oauth.authenticate(head, cache: cache, now: InboundOAuth.now(), remembered: rememberedClient, waitsForKeys: waitsForKeys)
        let loop = context.eventLoop
        switch outcome {
        case .introspect(let token, let hash):
            guard let introspector = oauth.introspector else { preconditionFailure("introspection without an introspector") }
            let text = String(decoding: token, as: UTF8.self)
            park(head, until: loop.makeFutureWithTask { await introspector.introspect(text) }) { handler, answer in
                handler.admit(head, verdict: verdict, oauth.finishIntrospection(answer, token: token, hash: hash, cache: cache, now: InboundOAuth.now()))
            }
            return false
        case .awaitKeys:
            let promise = loop.makePromise(of: Void.self)
            if !oauth.keys.whenRefetched({ promise.succeed() }) { promise.succeed() }
            park(head, until: promise.futureResult) { handler, _ in
                // Once more with the keys as they are now; a second unknown kid is refused.
                _ = handler.authenticateClient(head, verdict: verdict, oauth: oauth, waitsForKeys: false)
            }
            return false
        default:
            admit(head, verdict: verdict, outcome)
            return true
        }
    }

    /// Hands the head to the machine with what `client_auth: oauth` decided about its token.
    func admit(_ head: RequestHead, verdict: RequestAdmission.Verdict, _ outcome: InboundOAuth.Outcome) {
        switch outcome {
        case .accepted(let accepted):
            accepted.requests?.increment()
            rememberedClient = accepted
            let now = context.eventLoop.now
            let bucket = runtime.exchangeConfiguration.rateLimiter.flatMap { limiter -> RateBucket? in
                let bucket = limiter.clientBucket(.subject(accepted.subject), cached: accepted.rateBucket, now: now)
                accepted.rateBucket = bucket
                return bucket
            }
            let trace = runtime.tracer.map { exchangeTrace(for: head, tracer: $0) }
            execute(machine.requestHead(head, verdict: verdict, now: now, client: accepted, rateBucket: bucket, trace: trace))
        case .refused(let answer, let why):
            let trace = runtime.tracer.map { exchangeTrace(for: head, tracer: $0) }
            execute(machine.requestHead(head, verdict: .refuse(answer), now: context.eventLoop.now, tokenProblem: why, trace: trace))
        case .introspect, .awaitKeys:
            preconditionFailure("a waiting outcome is settled before admission")
        }
    }

    /// Stops reading input until `future` (of this loop) completes, then `resume` admits the head
    /// and input goes on. A client gone meanwhile is left alone.
    private func park<Value: Sendable>(_ head: RequestHead, until future: EventLoopFuture<Value>,
                                       then resume: @escaping (ClientConnectionHandler, Value) -> Void) {
        parkedHead = head
        setClientReading(false)
        future.assumeIsolated().whenSuccess { [self] value in
            guard context != nil, parkedHead != nil else { return }
            parkedHead = nil
            // The client may have gone meanwhile: its connection's machine takes no more requests.
            guard machine.wantsRequestParts else { return }
            setClientReading(true)
            resume(self, value)
            processInput()
        }
    }
}
