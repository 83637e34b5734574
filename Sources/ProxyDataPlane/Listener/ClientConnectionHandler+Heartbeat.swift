import NIOCore

/// The local event stream for upstreams that cannot stream: an SSE comment at once and every
/// `heartbeat_interval`, so that clients which insist on a GET stream stay connected.
extension ClientConnectionHandler {
    static let heartbeatComment = ByteBuffer(string: ": heartbeat\n\n")

    func startHeartbeat(_ exchange: RequestExchange) {
        exchange.phase = .heartbeat
        exchange.status = 200
        exchange.isEventStream = true
        useClientFraming(exchange.head.isHTTP11 ? .chunked : .untilClose, for: exchange)
        var head = context.channel.allocator.buffer(capacity: 160)
        head.writeStaticString("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\n")
        head.writeStaticString(exchange.clientFraming == .chunked ? "transfer-encoding: chunked\r\n" : "connection: close\r\n")
        head.writeStaticString("\r\n")
        context.write(wrapOutboundOut(head), promise: nil)
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
        writeBody(Self.heartbeatComment, for: exchange)
        context.flush()
    }
}
