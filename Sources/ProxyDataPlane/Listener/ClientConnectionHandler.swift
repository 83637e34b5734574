import NIOCore
import NIOExtras
import ProxyLogging
import ProxyTracing

/// Serves one client connection: the shell around `ClientConnectionStateMachine`. It turns bytes
/// into parser events, channel and timer callbacks into machine events, and executes the actions
/// the machine returns (`+Actions`); the upstream side is in `+Upstream`, response framing in
/// `+Writing`. No decision about the exchange is made here.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    /// Responses are written as bytes: relayed heads are rewritten from the upstream's bytes and
    /// bodies pass through as read, so no HTTP encoder sits in this pipeline.
    typealias OutboundOut = ByteBuffer

    /// Where a reload leaves the profile's current runtime.
    let slot: RuntimeSlot
    /// The runtime of the request in progress (or the last one): taken from `slot` at each request
    /// head, so an exchange keeps the settings it started with.
    private(set) var runtime: ProfileRuntime
    /// The pool of this connection's loop is `upstreams.pool(for: context.eventLoop)`: the
    /// engine's in the program, a test's own on an `EmbeddedEventLoop`.
    let upstreams: any UpstreamPools
    /// That pool, looked up at the first request (the connection never changes loops), not
    /// through the engine's dictionary at every request.
    private var loopPool: UpstreamPool?
    /// Set in `handlerAdded`, cleared in `handlerRemoved`. The context holds this handler strongly,
    /// so a context kept past removal is a reference cycle: it once kept every connection's handler,
    /// context, pipeline and last read buffer alive (about 3 KB per connection).
    var context: ChannelHandlerContext!
    var machine: ClientConnectionStateMachine
    var parser = RequestParser()
    /// The upstream connection of the exchange in progress, from send to response end.
    var upstream: UpstreamPool.Connection?
    /// The relayed response head, held until the body's first bytes so both leave in one write.
    var pendingHead: ByteBuffer?
    var heartbeatTask: RepeatedTask?
    /// Whether this exchange's event stream is counted in `open_streams`.
    var streamIsCounted = false
    /// The log line buffer, reused by every request on the connection.
    var logLineStorage: LineBytes?
    /// Whether the client channel reads (autoRead): a change is a channel option, so only real
    /// changes are made.
    var clientReads = true
    /// When the request in progress was signed: enough to name its credentials again, for
    /// removing them from an upstream error body that is logged (`CredentialRedaction`).
    var signedAtMilliseconds: Int64 = 0
    /// `auth_scheme: oauth`: the generation of the token the request in progress went with.
    var signedTokenGeneration: UInt64 = 0
    /// The client `client_auth: bearer` authenticated for the current request (its log line names
    /// it), as an index into the runtime's client names.
    var client: Int?
    /// `client_auth: oauth`: this loop's token cache (of the runtime `runtime` is), and the client
    /// the connection's last request was accepted as.
    var tokenCache: InboundTokenCache?
    var rememberedClient: AcceptedClient?
    /// `clientAddress`, once formatted.
    private var clientAddressText: String?
    /// `otel:`: span ids for this connection's traced exchanges.
    var spanIDs: SpanIDGenerator?
    /// `rate_limit.per_client` without client tokens: the bucket of this connection's remote
    /// address, looked up at its first request (again only when the store retires it).
    var addressBucket: RateBucket?
    /// A request head waiting for its opaque token's introspection or a refetch of the keys: no
    /// input is processed (and the client's reads are paused) until that is settled.
    var parkedHead: RequestHead?
    var limitsCheck: RepeatedTask?
    /// Set while `processInput` runs, so that ending an exchange inside it does not recurse.
    private var isProcessingInput = false

    init(slot: RuntimeSlot, upstreams: any UpstreamPools) {
        self.slot = slot
        let runtime = slot.runtime
        self.runtime = runtime
        self.upstreams = upstreams
        // Replaced in `handlerAdded` with the event loop's time (virtual on an `EmbeddedEventLoop`).
        self.machine = ClientConnectionStateMachine(configuration: runtime.exchangeConfiguration, now: .uptimeNanoseconds(0))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        machine = ClientConnectionStateMachine(configuration: runtime.exchangeConfiguration, now: context.eventLoop.now)
        runtime.liveObjects.watch(self, as: .clientHandler)
        runtime.liveObjects.watch(context.channel, as: .clientChannel)
        let interval = runtime.checkInterval
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        limitsCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let handler = bound.value
            handler.execute(handler.machine.limitsCheckDue(now: handler.context.eventLoop.now))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch machine.bytesReceived(buffer.readableBytes) {
        case .parse:
            parser.feed(buffer)
            processInput()
        case .discard:
            break
        case .close:
            context.close(promise: nil)
        }
    }

    /// Hands parsed request parts to the machine for as long as it takes them.
    func processInput() {
        guard !isProcessingInput, parkedHead == nil else { return }
        isProcessingInput = true
        defer { isProcessingInput = false }
        while machine.wantsRequestParts {
            let event: RequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                return execute(machine.requestUnreadable(error))
            }
            guard let event else { break }
            switch event {
            case .head:
                let head = parser.head!
                let current = slot.runtime
                if current !== runtime {
                    // A reload happened since the last request: this one uses the new settings.
                    runtime = current
                    tokenCache = nil
                    rememberedClient = nil
                    machine.reconfigure(current.exchangeConfiguration)
                }
                let verdict = runtime.admission.verdict(on: head, client: &client)
                if let client, client < runtime.clientRequests.count { runtime.clientRequests[client].increment() }
                guard let oauth = runtime.inboundOAuth, case .forward = verdict else {
                    let now = context.eventLoop.now
                    let bucket = runtime.exchangeConfiguration.rateLimiter.flatMap { rateBucket($0, now: now) }
                    let trace = runtime.tracer.map { exchangeTrace(for: head, tracer: $0) }
                    execute(machine.requestHead(head, verdict: verdict, now: now, rateBucket: bucket, trace: trace))
                    continue
                }
                // Parked (introspection, or a refetch of the keys): input resumes when it is settled.
                guard authenticateClient(head, verdict: verdict, oauth: oauth) else { return }
            case .body(let buffer):
                execute(machine.requestBody(buffer))
            case .end:
                execute(machine.requestEnd(servesHeartbeat: runtime.servesLocalHeartbeat, now: context.eventLoop.now))
            }
        }
        execute(machine.inputBuffered(parser.bufferedBytes))
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    /// Stops the limits check and ends an exchange still in progress, releasing everything that
    /// refers back to this handler. Runs on close and again on removal; the second run finds
    /// nothing left to do.
    private func connectionEnded() {
        limitsCheck?.cancel()
        limitsCheck = nil
        execute(machine.clientClosed())
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        execute(machine.clientWritabilityChanged(isWritable: context.channel.isWritable, now: context.eventLoop.now))
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        execute(machine.quiesce())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension ClientConnectionHandler {
    /// This connection's loop's upstream pool.
    var pool: UpstreamPool {
        if let loopPool { return loopPool }
        let found = upstreams.pool(for: context.eventLoop)
        loopPool = found
        return found
    }
}

extension ClientConnectionHandler {
    /// The bucket `rate_limit.per_client` takes from for this request: the client token's under
    /// `client_auth: bearer`, else the remote address's (`client_auth: oauth` clients are keyed by
    /// subject in `admit`).
    func rateBucket(_ limiter: RateLimiter, now: NIODeadline) -> RateBucket? {
        if let client { return limiter.tokenBucket(client) }
        let bucket = limiter.clientBucket(.address(clientAddress), cached: addressBucket, now: now)
        addressBucket = bucket
        return bucket
    }

    /// Who the exchange's client is, as log lines, audit lines and spans name it: the OAuth
    /// client's name claim, or the `client_tokens` name; nil without client authentication.
    func clientName(of exchange: RequestExchange) -> String? {
        if let accepted = exchange.client { return accepted.name }
        if let client, let names = runtime.admission.authenticator?.names, client < names.count { return names[client] }
        return nil
    }

    /// The client's IP address without the port (`unix` on a Unix socket), formatted once per
    /// connection: the rate limit's key, and what audit lines, spans and refusal logs name.
    var clientAddress: String {
        if let clientAddressText { return clientAddressText }
        let text = context.channel.remoteAddress?.ipAddress ?? "unix"
        clientAddressText = text
        return text
    }
}
