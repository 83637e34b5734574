import NIOCore
import NIOHTTP1
import ProxyLogging

/// Upstream side: sign, send through the loop's pool, relay the response as it arrives.
extension ClientConnectionHandler: UpstreamResponseReceiver {
    func forward(_ exchange: RequestExchange) {
        exchange.phase = .awaitingUpstream
        let endpoint = runtime.endpoint
        let signature = runtime.signer.sign(method: exchange.method, target: exchange.upstreamTarget,
                                            key: runtime.signingKey, unixMilliseconds: LogClock.unixMilliseconds())
        var request = context.channel.allocator.buffer(capacity: 1024 + (exchange.body?.readableBytes ?? 0))
        HeaderRewriting.writeUpstreamRequest(
            client: exchange.head, target: exchange.upstreamTarget, authority: endpoint.authority, body: exchange.body,
            dropped: runtime.droppedRequestHeaders, signature: signature, into: &request)
        exchange.body = nil
        exchange.forwardedAt = .now()
        let pool = engine.pool(for: context.eventLoop)
        if let connection = pool.idleConnection(for: endpoint) {
            exchange.upstream = connection
            connection.handler.send(request, to: self)
            return
        }
        pool.connect(endpoint) { [weak self] result in
            guard let self, self.exchange === exchange, !self.isClosed else {
                if case .success(let connection) = result { pool.release(connection, to: endpoint, reusable: true) }
                return
            }
            switch result {
            case .failure(let failure):
                self.upstreamFailed(failure)
            case .success(let connection):
                exchange.upstream = connection
                connection.handler.send(request, to: self)
            }
        }
    }

    /// Called by the connection's periodic limits check once `request_timeout` has passed.
    func requestTimedOut(_ exchange: RequestExchange) {
        guard self.exchange === exchange, !exchange.isEventStream else { return }
        exchange.upstream?.handler.abandon()
        exchange.upstream = nil
        if exchange.phase.isBeforeResponse {
            upstreamFailed(.timedOut)
        } else {
            // The status is already sent: cut the response so the client sees it incomplete.
            flushResponse(exchange)
            exchange.failure = .timedOut
            closeAfterResponse = true
            complete(exchange)
        }
    }

    func upstreamResponseHead(_ head: ResponseHead) {
        guard let exchange, case .awaitingUpstream = exchange.phase else { return }
        exchange.upstreamStatus = head.status
        if exchange.method == "GET", head.status == 405, runtime.profile.upstreamStreaming == .auto {
            runtime.rememberUpstreamRefusesGET()
            exchange.drainingUpstream = true
            startHeartbeat(exchange)
            return
        }
        exchange.isEventStream = head.isEventStream
        exchange.status = head.status
        exchange.phase = .streaming
        useClientFraming(HeaderRewriting.clientFraming(for: head, clientIsHTTP11: exchange.head.isHTTP11), for: exchange)
        var clientHead = context.channel.allocator.buffer(capacity: head.bytes.readableBytes + 64)
        HeaderRewriting.writeClientResponseHead(head, framing: exchange.clientFraming, isEventStream: exchange.isEventStream,
                                                closeAfter: closeAfterResponse, into: &clientHead)
        if exchange.isEventStream {
            // An event stream's head goes out at once, before any event.
            context.writeAndFlush(wrapOutboundOut(clientHead), promise: nil)
        } else {
            // Other heads wait for their body's first bytes, to leave in the same buffer.
            exchange.pendingHead = clientHead
        }
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard let exchange, case .streaming = exchange.phase else { return }
        exchange.bytesOut += buffer.readableBytes
        exchange.captureErrorBody(buffer)
        if var head = exchange.pendingHead, exchange.clientFraming == .asUpstream, buffer.readableBytes <= Self.chunkCopyLimit {
            exchange.pendingHead = nil
            var buffer = buffer
            head.writeBuffer(&buffer)
            context.write(wrapOutboundOut(head), promise: nil)
        } else {
            writeBody(buffer, for: exchange)
        }
        if !context.channel.isWritable, let upstream = exchange.upstream {
            // Backpressure: the client is behind, so stop reading the upstream until it catches up.
            try? upstream.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
    }

    func upstreamReadComplete() {
        guard let exchange, case .streaming = exchange.phase else { return }
        flushResponse(exchange)
    }

    func upstreamResponseEnd() {
        guard let exchange else { return }
        exchange.upstream = nil
        if exchange.drainingUpstream {
            exchange.drainingUpstream = false
            return
        }
        guard case .streaming = exchange.phase else { return }
        writeBodyEnd(exchange)
        context.flush()
        complete(exchange)
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        guard let exchange else { return }
        exchange.upstream = nil
        if exchange.drainingUpstream {
            exchange.drainingUpstream = false
            return
        }
        exchange.failure = failure
        switch exchange.phase {
        case .awaitingUpstream:
            let status: HTTPResponseStatus = failure.status == 504 ? .gatewayTimeout : .badGateway
            writeLocal(.jsonRPCError(status, code: -32603, message: "\(failure.summary) (profile \(runtime.profile.name))", profile: runtime.profile.name), for: exchange)
        case .streaming where exchange.isEventStream:
            finishStream(exchange, event: "request")
        case .streaming:
            // Status already sent: close without the final chunk so the client sees a truncated body.
            flushResponse(exchange)
            closeAfterResponse = true
            complete(exchange)
        default:
            break
        }
    }
}
