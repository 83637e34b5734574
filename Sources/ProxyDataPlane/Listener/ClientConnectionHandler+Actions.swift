import NIOCore
import ProxyLogging
import ProxyMetrics

/// Executing what the state machine decided: every write, timer and close of a client connection.
extension ClientConnectionHandler {
    func execute(_ action: ClientExchangeAction) {
        switch action {
        case .none:
            break
        case .sendContinue:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        case .forward(let request):
            forward(request)
        case .awaitFreshToken:
            awaitFreshToken()
        case .writeResponseHead(let head, let framing, let isEventStream, let connectionClose):
            if isEventStream { streamOpened() }
            writeResponseHead(head, framing: framing, isEventStream: isEventStream, connectionClose: connectionClose)
        case .writeBody(let buffer, let framing, let pauseUpstreamReads):
            writeBody(buffer, framing: framing)
            if pauseUpstreamReads { setUpstreamReading(false) }
        case .flush:
            flushResponse()
        case .pauseUpstreamReads:
            setUpstreamReading(false)
        case .resumeUpstreamReads:
            setUpstreamReading(true)
        case .pauseClientReads:
            setClientReading(false)
        case .startHeartbeat(let framing, let learned):
            if learned { runtime.rememberUpstreamRefusesGET() }
            streamOpened()
            startHeartbeat(framing: framing)
        case .sendHeartbeat(let framing):
            writeBody(Self.heartbeatComment, framing: framing)
            context.flush()
        case .answer(let answer, let keepAlive, let includingBody, let end):
            if let metrics = runtime.metrics, answer.isRejection { metrics.countRejection(reason: answer.reason.rawValue) }
            let response = LocalResponse(answer, runtime: runtime)
            var buffer = context.channel.allocator.buffer(capacity: 256 + response.body.utf8.count)
            response.write(keepAlive: keepAlive, includingBody: includingBody, into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            endExchange(end, bytesOut: response.body.utf8.count)
        case .writeRewrittenResponse(let head, let body, let connectionClose, let end):
            writeResponseHead(head, framing: .rewritten, isEventStream: false, connectionClose: connectionClose, rewrittenLength: body.readableBytes)
            writeBody(body, framing: .rewritten)
            flushResponse()
            endExchange(end)
        case .finishResponse(let framing, let end):
            writeBodyEnd(framing: framing)
            context.flush()
            endExchange(end)
        case .finishResponseWith(let last, let framing, let end):
            writeBody(last, framing: framing)
            writeBodyEnd(framing: framing)
            context.flush()
            endExchange(end)
        case .cutResponse(let end):
            flushResponse()
            endExchange(end)
        case .endExchange(let end):
            endExchange(end)
        case .close:
            context.close(promise: nil)
        case .shutOutputAndLinger(let resumeClientReads):
            context.close(mode: .output, promise: nil)
            if resumeClientReads { setClientReading(true) }
        }
    }

    /// The housekeeping every end shares (see `ExchangeEnd`), the log line, then what comes next.
    /// `bytesOut` overrides the machine's count for a local answer, whose size only the shell knows.
    private func endExchange(_ end: ExchangeEnd, bytesOut: Int? = nil) {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        pendingHead = nil
        if let upstream {
            self.upstream = nil
            upstream.handler.abandon()
        }
        if streamIsCounted {
            streamIsCounted = false
            runtime.metrics?.streamClosed()
        }
        if let event = end.logEvent {
            let now = context.eventLoop.now
            let exchange = machine.exchange
            if let metrics = runtime.metrics { count(exchange, in: metrics, now: now) }
            log(exchange, event: event, bytesOut: bytesOut, now: now)
            if let trail = runtime.audit { audit(exchange, in: trail, bytesOut: bytesOut, now: now) }
            if let tracer = runtime.tracer, let trace = exchange.trace, trace.sampled { recordSpans(exchange, trace: trace, tracer: tracer, now: now) }
        }
        switch end.next {
        case .readNextRequest(let resumeClientReads):
            if resumeClientReads { setClientReading(true) }
            processInput()
        case .closeConnection:
            execute(machine.closeRequested(inputPending: !parser.isBetweenRequests, now: context.eventLoop.now))
        case .nothing:
            break
        }
    }

    func setClientReading(_ on: Bool) {
        guard on != clientReads else { return }
        clientReads = on
        context.channel.setOption(ChannelOptions.autoRead, value: on).whenFailure { _ in }
    }

    private func setUpstreamReading(_ on: Bool) {
        upstream?.setReading(on)
    }

    /// One JSON object per request; built only when the level is enabled.
    private func streamOpened() {
        guard let metrics = runtime.metrics else { return }
        streamIsCounted = true
        metrics.streamOpened()
    }

    /// The exchange's series: lock-free counters, and the two duration histograms.
    private func count(_ exchange: RequestExchange, in metrics: ProfileMetrics, now: NIODeadline) {
        metrics.countRequest(method: exchange.method, status: exchange.status,
                             seconds: Double((now - exchange.startedAt).nanoseconds) / 1e9)
        if let rpcMethod = exchange.rpcMethod { metrics.countRPC(method: rpcMethod) }
        if let forwardedAt = exchange.forwardedAt, let respondedAt = exchange.upstreamRespondedAt {
            metrics.observeUpstreamResponse(seconds: Double((respondedAt - forwardedAt).nanoseconds) / 1e9)
        }
        if let kind = exchange.failure?.metricKind { metrics.countUpstreamError(kind: kind) }
    }

    private func log(_ exchange: RequestExchange, event: ExchangeEnd.LogEvent, bytesOut: Int?, now: NIODeadline) {
        // A refused client token is worth a warning: repeated ones are someone guessing.
        let refusedToken = exchange.answerReason == .clientAuth || exchange.answerReason == .insufficientScope
        let level: LogLevel = exchange.failure != nil || exchange.status >= 500 || refusedToken || exchange.refusedTool != nil ? .warning : .info
        guard runtime.log.isEnabled(level) else { return }
        // The connection's line buffer, moved out so that it is uniquely referenced and reused.
        var line = LogLine(level: level, event: event.rawValue, reusing: logLineStorage.take() ?? LineBytes())
        line.field("profile", runtime.profile.name)
        if let name = clientName(of: exchange) { line.field("client", name) }
        if let reason = exchange.answerReason {
            line.field("reason", reason.rawValue)
            if let problem = exchange.tokenProblem { line.field("token_problem", problem) }
            if refusedToken { line.field("client_address", clientAddress) }
        }
        line.field("method", exchange.method)
        line.field("path", exchange.logPath)
        if let rpcMethod = exchange.rpcMethod { line.field("rpc_method", rpcMethod) }
        if let tool = exchange.refusedTool { line.field("refused_tool", tool) }
        line.field("status", exchange.status)
        if exchange.upstreamStatus > 0 { line.field("upstream_status", exchange.upstreamStatus) }
        line.field("duration_ms", milliseconds: UInt64((now - exchange.startedAt).nanoseconds))
        line.field("bytes_out", bytesOut ?? exchange.bytesOut)
        if exchange.isEventStream { line.field("stream", true) }
        if let failure = exchange.failure { line.field("error", failure.summary) }
        if let snippet = exchange.errorSnippet {
            // An upstream that echoes the request's headers must not put a credential in the log.
            var redaction = CredentialRedaction(credentials: runtime.upstreamCredentials, method: exchange.method, target: exchange.upstreamTarget, unixMilliseconds: signedAtMilliseconds)
            if let head = exchange.head { redaction.addAuthorization(of: head) }
            line.field("upstream_error", bytes: redaction.redact(snippet.readableBytesView, truncated: exchange.errorTruncated))
            if exchange.errorTruncated { line.field("upstream_error_truncated", true) }
        }
        runtime.log.emit(line)
        logLineStorage = line.storage
    }
}
