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
        let head = HeaderRewriting.upstreamRequestHead(
            client: exchange.head, target: exchange.upstreamTarget, authority: endpoint.authority,
            bodyLength: exchange.body?.readableBytes ?? 0, ownedHeaders: runtime.ownedHeaders, signature: signature)
        let body = exchange.body
        exchange.body = nil
        exchange.forwardedAt = .now()
        let pool = engine.pool(for: context.eventLoop)
        pool.acquire(endpoint) { [weak self] result in
            guard let self, self.exchange === exchange, !self.isClosed else {
                if case .success(let connection) = result { pool.release(connection, to: endpoint, reusable: true) }
                return
            }
            switch result {
            case .failure(let failure):
                self.upstreamFailed(failure)
            case .success(let connection):
                exchange.upstream = connection
                connection.handler.send(head: head, body: body, to: self) { reusable in
                    pool.release(connection, to: endpoint, reusable: reusable)
                }
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
            exchange.failure = .timedOut
            closeAfterResponse = true
            complete(exchange)
        }
    }

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard let exchange, case .awaitingUpstream = exchange.phase else { return }
        exchange.upstreamStatus = Int(head.status.code)
        if exchange.head.method == .GET, head.status == .methodNotAllowed, runtime.profile.upstreamStreaming == .auto {
            runtime.rememberUpstreamRefusesGET()
            exchange.drainingUpstream = true
            startHeartbeat(exchange)
            return
        }
        exchange.isEventStream = HeaderRewriting.isEventStream(head.headers)
        exchange.status = Int(head.status.code)
        exchange.phase = .streaming
        let clientHead = HeaderRewriting.clientResponseHead(upstream: head, isEventStream: exchange.isEventStream, closeAfter: closeAfterResponse)
        if exchange.isEventStream {
            context.writeAndFlush(wrapOutboundOut(.head(clientHead)), promise: nil)
        } else {
            context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        }
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard let exchange, case .streaming = exchange.phase else { return }
        exchange.bytesOut += buffer.readableBytes
        exchange.captureErrorBody(buffer)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if !context.channel.isWritable, let upstream = exchange.upstream {
            // Backpressure: the client is behind, so stop reading the upstream until it catches up.
            try? upstream.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
    }

    func upstreamReadComplete() {
        guard let exchange, case .streaming = exchange.phase else { return }
        context.flush()
    }

    func upstreamResponseEnd() {
        guard let exchange else { return }
        exchange.upstream = nil
        if exchange.drainingUpstream {
            exchange.drainingUpstream = false
            return
        }
        guard case .streaming = exchange.phase else { return }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
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
            context.flush()
            closeAfterResponse = true
            complete(exchange)
        default:
            break
        }
    }
}
