import NIOCore
import NIOHTTP1

/// The local event stream for upstreams that cannot stream: an SSE comment at once and every
/// `heartbeat_interval`, so that clients which insist on a GET stream stay connected.
extension ClientConnectionHandler {
    static let heartbeatComment = ByteBuffer(string: ": heartbeat\n\n")

    func startHeartbeat(_ exchange: RequestExchange) {
        exchange.phase = .heartbeat
        exchange.status = 200
        exchange.isEventStream = true
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        headers.add(name: "x-accel-buffering", value: "no")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        sendHeartbeat(exchange)
        let interval = TimeAmount.milliseconds(runtime.profile.heartbeatInterval.milliseconds)
        // The task is cancelled when the exchange ends, which breaks the reference cycle.
        let bound = NIOLoopBound((handler: self, exchange: exchange), eventLoop: context.eventLoop)
        exchange.heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.handler.sendHeartbeat(bound.value.exchange)
        }
    }

    private func sendHeartbeat(_ exchange: RequestExchange) {
        guard self.exchange === exchange, case .heartbeat = exchange.phase else { return }
        exchange.bytesOut += Self.heartbeatComment.readableBytes
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(Self.heartbeatComment))), promise: nil)
    }
}
