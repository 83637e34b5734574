import NIOCore
import NIOHTTP1
import NIOSSL

/// Receives one upstream response as it arrives. Implemented by the client connection's handler;
/// every call happens on the event loop both channels share.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBody(_ buffer: ByteBuffer)
    func upstreamResponseEnd()
    /// The upstream channel finished a read burst: time to flush what was written to the client.
    func upstreamReadComplete()
    func upstreamFailed(_ failure: UpstreamFailure)
}

/// The last handler of an upstream connection: sends one request at a time and hands the response
/// parts to the current receiver. After a complete keep-alive response the connection goes back
/// to its event loop's pool.
final class UpstreamConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private weak var receiver: (any UpstreamResponseReceiver)?
    private var context: ChannelHandlerContext?
    private var responseKeepsAlive = true
    private var isActive = false
    /// Called with `true` when the connection may be reused, `false` when it must not be.
    private var onExchangeEnd: ((Bool) -> Void)?

    var isIdle: Bool { receiver == nil && isActive }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isActive = context.channel.isActive
    }

    func channelActive(context: ChannelHandlerContext) {
        isActive = true
        context.fireChannelActive()
    }

    /// Writes the whole request with a single flush.
    func send(head: HTTPRequestHead, body: ByteBuffer?, to receiver: any UpstreamResponseReceiver, onExchangeEnd: @escaping (Bool) -> Void) {
        guard let context else {
            receiver.upstreamFailed(.closedEarly)
            return
        }
        self.receiver = receiver
        self.onExchangeEnd = onExchangeEnd
        responseKeepsAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Ends the current exchange from the client side (client gone, timeout, shutdown): the
    /// connection is closed, since its response stream can no longer be reused.
    func abandon() {
        receiver = nil
        finish(reusable: false)
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            responseKeepsAlive = head.isKeepAlive
            receiver?.upstreamResponseHead(head)
        case .body(let buffer):
            receiver?.upstreamResponseBody(buffer)
        case .end:
            let current = receiver
            receiver = nil
            current?.upstreamResponseEnd()
            finish(reusable: responseKeepsAlive && current != nil)
            if !responseKeepsAlive { context.close(promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        fail(.closedEarly)
        finish(reusable: false)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is HTTPParserError: fail(.malformedResponse)
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
        let callback = onExchangeEnd
        onExchangeEnd = nil
        callback?(reusable)
    }
}
