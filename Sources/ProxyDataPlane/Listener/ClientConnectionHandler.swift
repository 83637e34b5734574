import NIOCore
import NIOExtras

/// Serves one client connection: checks each request, forwards it through the engine's pool of
/// the same event loop, and streams the upstream response back as it arrives.
///
/// Requests are parsed from the connection's bytes by a `RequestParser` and handled one at a
/// time; a pipelined next request waits in the parser until the current response is complete.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    /// Responses are written as bytes: relayed heads are rewritten from the upstream's bytes and
    /// bodies pass through as read, so no HTTP encoder sits in this pipeline.
    typealias OutboundOut = ByteBuffer

    let runtime: ProfileRuntime
    let engine: ForwardingEngine
    /// Set in `handlerAdded`, cleared in `handlerRemoved`. The context holds this handler strongly,
    /// so a context kept past removal is a reference cycle: it once kept every connection's handler,
    /// context, pipeline and last read buffer alive (about 3 KB per connection).
    var context: ChannelHandlerContext!
    var exchange: RequestExchange?
    var parser = RequestParser()
    /// Set while `processInput` runs, so that completing an exchange inside it does not recurse.
    var isProcessingInput = false
    /// Reading stops while more pipelined bytes wait than one request head may have.
    var readingPaused = false
    /// Set by shutdown or a `Connection: close` request: close once the current response is done.
    var closeAfterResponse = false
    var isClosed = false
    /// When the connection last became free of requests; nil while a request is in progress.
    var idleSince: NIODeadline? = .now()
    /// When the client socket stopped accepting writes; nil while it is writable.
    var unwritableSince: NIODeadline?
    /// Set while lingering before a close (see `closeConnection`): when it began, and how many
    /// bytes have been discarded since.
    var lingeringSince: NIODeadline?
    var lingeringDiscarded = 0
    var limitsCheck: RepeatedTask?

    init(runtime: ProfileRuntime, engine: ForwardingEngine) {
        self.runtime = runtime
        self.engine = engine
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        runtime.liveObjects.watch(self, as: .clientHandler)
        runtime.liveObjects.watch(context.channel, as: .clientChannel)
        let interval = runtime.checkInterval
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        limitsCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.enforceLimits()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded()
        self.context = nil
    }

    /// Closes connections that sat too long without a request head, uploaded too slowly, or left
    /// a response unread (see `ConnectionLimits`), and times out upstream exchanges that passed
    /// `request_timeout`. One check per connection replaces a timer armed and cancelled per request.
    func enforceLimits() {
        guard !isClosed else { return }
        let now = NIODeadline.now()
        let limits = runtime.limits
        if let lingeringSince {
            if now - lingeringSince > limits.lingeringTimeout { context.close(promise: nil) }
            return
        }
        if exchange == nil, let idleSince, now - idleSince > limits.requestHeadTimeout {
            context.close(promise: nil)
            return
        }
        if let unwritableSince, now - unwritableSince > limits.stalledClientTimeout {
            exchange?.failure = .clientStalled
            exchange?.upstream?.handler.abandon()
            context.close(promise: nil)
            return
        }
        if let exchange, let forwardedAt = exchange.forwardedAt, !exchange.isEventStream,
           now - forwardedAt > runtime.endpoint.requestTimeout {
            requestTimedOut(exchange)
            return
        }
        if let exchange, case .collecting = exchange.phase, now - exchange.startedAt > limits.requestBodyTimeout {
            var response = LocalResponse.jsonRPCError(.requestTimeout, code: -32600, message: "request body not received within \(limits.requestBodyTimeout.nanoseconds / 1_000_000_000)s", profile: runtime.profile.name)
            response.closesConnection = true
            writeLocal(response, for: exchange)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard lingeringSince == nil else {
            lingeringDiscarded += unwrapInboundIn(data).readableBytes
            if lingeringDiscarded > runtime.limits.lingeringByteLimit { context.close(promise: nil) }
            return
        }
        parser.feed(unwrapInboundIn(data))
        processInput()
    }

    /// Parses buffered input for as long as the connection can take another request part.
    func processInput() {
        guard !isProcessingInput else { return }
        isProcessingInput = true
        defer { isProcessingInput = false }
        while !isClosed, lingeringSince == nil, exchange?.acceptsRequestParts ?? true {
            let event: RequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                return requestUnreadable(error)
            }
            guard let event else { break }
            switch event {
            case .head: requestHead(parser.head!)
            case .body(let buffer): requestBody(buffer)
            case .end: requestEnd()
            }
        }
        if exchange != nil, !readingPaused, parser.bufferedBytes > RequestParser.maxHeadBytes {
            readingPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    /// Stops the limits check and ends an exchange still in progress (its upstream connection is
    /// closed, its heartbeat stopped), releasing everything that refers back to this handler.
    /// Runs on close and again on removal; the second run finds nothing left to do.
    private func connectionEnded() {
        isClosed = true
        limitsCheck?.cancel()
        limitsCheck = nil
        guard let exchange else { return }
        self.exchange = nil
        exchange.heartbeatTask?.cancel()
        exchange.upstream?.handler.abandon()
        exchange.upstream = nil
        if exchange.status == 0 { exchange.status = 499 }
        log(exchange, event: "client_closed")
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        unwritableSince = context.channel.isWritable ? nil : .now()
        // Backpressure: stop reading the upstream while the client cannot take more.
        if context.channel.isWritable, let upstream = exchange?.upstream?.channel {
            try? upstream.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        closeAfterResponse = true
        guard let exchange else {
            context.close(promise: nil)
            return
        }
        switch exchange.phase {
        case .heartbeat:
            exchange.heartbeatTask?.cancel()
            finishStream(exchange, event: "stream_closed_for_shutdown")
        case .streaming where exchange.isEventStream:
            exchange.upstream?.handler.abandon()
            exchange.upstream = nil
            finishStream(exchange, event: "stream_closed_for_shutdown")
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Completing exchanges

    /// Ends an event stream cleanly (terminating chunk) and closes the connection.
    func finishStream(_ exchange: RequestExchange, event: String) {
        writeBodyEnd(exchange)
        context.flush()
        complete(exchange, event: event)
        context.close(promise: nil)
    }

    /// Logs the exchange and moves to the next request, replaying any pipelined parts.
    func complete(_ exchange: RequestExchange, event: String = "request") {
        exchange.heartbeatTask?.cancel()
        self.exchange = nil
        idleSince = .now()
        log(exchange, event: event)
        if closeAfterResponse || !exchange.head.isKeepAlive {
            closeConnection()
            return
        }
        if readingPaused {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
        processInput()
    }

    /// Closes the connection after the response just written. When the client may still be
    /// sending (its request was answered before its end, or more requests wait unread), closing
    /// now would make the kernel answer the unread bytes with a reset, which destroys the response
    /// in the client's receive buffer and fails a client still writing. So, as nginx's
    /// `lingering_close` does, only the write side is shut (after the response is flushed, so the
    /// client sees its end) and input is read and discarded until the client closes, for at most
    /// `ConnectionLimits.lingeringTimeout` and `lingeringByteLimit`.
    func closeConnection() {
        guard lingeringSince == nil else { return }
        guard !parser.isBetweenRequests else {
            context.close(promise: nil)
            return
        }
        lingeringSince = .now()
        context.close(mode: .output, promise: nil)
        if readingPaused {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    /// Writes a complete local response and completes the exchange (if any).
    func writeLocal(_ response: LocalResponse, for exchange: RequestExchange?) {
        let keepAlive = !response.closesConnection && !closeAfterResponse && (exchange?.head.isKeepAlive ?? false)
        var buffer = context.channel.allocator.buffer(capacity: 256 + response.body.utf8.count)
        // A response to HEAD has a Content-Length but no body (RFC 9110 §9.3.2).
        response.write(keepAlive: keepAlive, includingBody: exchange?.method != "HEAD", into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        guard let exchange else {
            closeConnection()
            return
        }
        exchange.status = Int(response.status.code)
        exchange.bytesOut = response.body.utf8.count
        if !keepAlive { closeAfterResponse = true }
        complete(exchange)
    }
}

extension RequestExchange {
    /// While a response is pending, further request parts belong to a pipelined next request.
    var acceptsRequestParts: Bool {
        switch phase {
        case .collecting, .rejecting: return true
        case .awaitingUpstream, .streaming, .heartbeat: return false
        }
    }
}

extension RequestExchange.Phase {
    var isBeforeResponse: Bool {
        switch self {
        case .collecting, .rejecting, .awaitingUpstream: return true
        case .streaming, .heartbeat: return false
        }
    }
}
