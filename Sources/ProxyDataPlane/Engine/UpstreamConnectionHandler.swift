import NIOCore
import ProxyMetrics
import NIOSSL

/// Receives one upstream response as it arrives. Implemented by the client connection's handler;
/// every call happens on the event loop both channels share.
protocol UpstreamResponseReceiver: AnyObject {
    /// Asked when a connect completes: whether exchange `number` still waits for its upstream.
    func wantsUpstream(forExchange number: Int) -> Bool
    /// The connection the request is about to be written on, kept for backpressure and for
    /// abandoning the exchange.
    func upstreamAttached(_ connection: UpstreamPool.Connection)
    func upstreamResponseHead(_ head: ResponseHead)
    func upstreamResponseBody(_ buffer: ByteBuffer)
    func upstreamResponseEnd()
    /// The upstream channel finished a read burst: time to flush what was written to the client.
    func upstreamReadComplete()
    func upstreamFailed(_ failure: UpstreamFailure)
}

/// The only handler of a plain upstream connection (after TLS for https): writes each request as
/// one buffer and splits what comes back with a `ResponseParser`, so body bytes reach the client
/// handler as slices of what was read. After a complete keep-alive response the connection goes
/// back to its event loop's pool.
final class UpstreamConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private weak var receiver: (any UpstreamResponseReceiver)?
    /// Cleared in `handlerRemoved`: the context holds this handler strongly (see
    /// `ClientConnectionHandler.context`); kept, it leaked every upstream connection.
    private var context: ChannelHandlerContext?
    private var parser = ResponseParser()
    /// Between `send` and the exchange's end (response complete, failure or abandon) it is
    /// `exchanging`; the end returns the connection to `pool`, exactly once.
    private var life = UpstreamConnectionLife(isActive: false)
    /// Whether backpressure turned the connection's autoRead off (see `UpstreamPool.Connection.setReading`).
    var readingPaused = false
    /// The pool this connection returns to. The reference cycle (pool → idle connection →
    /// handler → pool) ends when the connection closes or the pool closes its idle connections.
    private let pool: UpstreamPool
    private let endpoint: UpstreamEndpoint

    init(pool: UpstreamPool, endpoint: UpstreamEndpoint) {
        self.pool = pool
        self.endpoint = endpoint
    }

    var isIdle: Bool { life.state == .idle }

    var endpointMetrics: ProfileMetrics? { endpoint.metrics }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        life = UpstreamConnectionLife(isActive: context.channel.isActive)
        endpoint.liveObjects.watch(self, as: .upstreamHandler)
        endpoint.liveObjects.watch(context.channel, as: .upstreamChannel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        life.activated()
        context.fireChannelActive()
    }

    /// Writes the whole request (head and body, already in one buffer) with a single flush.
    func send(_ request: ByteBuffer, to receiver: any UpstreamResponseReceiver) {
        guard let context, life.startExchange() else {
            receiver.upstreamFailed(.closedEarly)
            return
        }
        self.receiver = receiver
        endpoint.metrics?.upstreamConnectionBecameActive()
        parser = ResponseParser()
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// Ends the current exchange from the client side (client gone, timeout, shutdown): the
    /// connection is closed, since its response stream can no longer be reused.
    func abandon() {
        receiver = nil
        finish(reusable: false)
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard life.state == .exchanging else {
            // Bytes nobody asked for: the connection's framing can no longer be trusted.
            context.close(promise: nil)
            return
        }
        parser.feed(unwrapInboundIn(data))
        do {
            while life.state == .exchanging, let event = try parser.next() {
                switch event {
                case .head:
                    receiver?.upstreamResponseHead(parser.head!)
                case .body(let buffer):
                    receiver?.upstreamResponseBody(buffer)
                case .end:
                    responseEnded(context: context, reusable: parser.head!.keepAlive && parser.isBetweenMessages)
                }
            }
        } catch {
            fail(.malformedResponse)
            finish(reusable: false)
            context.close(promise: nil)
        }
    }

    /// Releases the connection before telling the receiver, so that a pipelined next request
    /// can take this same connection.
    private func responseEnded(context: ChannelHandlerContext, reusable: Bool) {
        let current = receiver
        receiver = nil
        finish(reusable: reusable && current != nil)
        if !reusable { context.close(promise: nil) }
        current?.upstreamResponseEnd()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if life.state == .exchanging {
            if case .end? = try? parser.inputClosed() {
                responseEnded(context: context, reusable: false)
            } else {
                fail(.closedEarly)
            }
            finish(reusable: false)
        }
        if life.closed() != .closed {
            // Closed while idle (the upstream's keep-alive timeout): leave the pool now rather
            // than when a request next looks for an idle connection.
            pool.discardIdle(self, of: endpoint)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOSSLError.uncleanShutdown:
            // A close without close_notify: `channelInactive` follows and decides whether the
            // response was complete (a close-delimited body) or cut.
            return
        case let tlsError as NIOSSLError: fail(.tlsFailed("\(tlsError)"))
        case let tlsError as BoringSSLError: fail(.tlsFailed("\(tlsError)"))
        default: fail(.closedEarly)
        }
        finish(reusable: false)
        context.close(promise: nil)
    }

    private func fail(_ failure: UpstreamFailure) {
        let current = receiver
        receiver = nil
        current?.upstreamFailed(failure)
    }

    private func finish(reusable: Bool) {
        guard let channel = context?.channel, life.endExchange(reusable: reusable) else { return }
        endpoint.metrics?.upstreamConnectionLeftActive()
        pool.release(UpstreamPool.Connection(channel: channel, handler: self), to: endpoint, reusable: reusable)
    }
}
