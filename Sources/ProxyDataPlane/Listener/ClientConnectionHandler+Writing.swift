import NIOCore

/// Response bytes on the client connection: relayed heads, bodies framed as the machine said,
/// and the local heartbeat stream. Body bytes pass through as read when the upstream's length
/// holds, otherwise each piece becomes one chunk. A head held back for its body's first bytes
/// (`pendingHead`) is always written before anything that follows it.
extension ClientConnectionHandler {
    /// Pieces up to this size are copied into their chunk's (or their head's) buffer: one iovec
    /// instead of several.
    static let chunkCopyLimit = 4096
    static let heartbeatComment = ByteBuffer(string: ClientConnectionStateMachine.heartbeatComment)
    private static let crlf = ByteBuffer(staticString: "\r\n")
    private static let lastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    func writeResponseHead(_ head: ResponseHead, framing: HeaderRewriting.ClientFraming, isEventStream: Bool, connectionClose: Bool,
                           rewrittenLength: Int = 0) {
        // Room for a body that `writeBody` will copy in behind the head, so that copy never
        // reallocates the buffer (growing it cost about 650 instructions per response).
        var copiedBody = 0
        if !isEventStream, framing == .asUpstream, case .contentLength(let length) = head.framing, length <= Self.chunkCopyLimit {
            copiedBody = length
        }
        var clientHead = context.channel.allocator.buffer(capacity: head.bytes.readableBytes + 64 + copiedBody)
        let isOAuth = runtime.accessToken != nil
        if isOAuth, head.status == 403 { logInsufficientScope(head) }
        HeaderRewriting.writeClientResponseHead(head, framing: framing, isEventStream: isEventStream, closeAfter: connectionClose,
                                                rewrittenLength: rewrittenLength, dropsChallenge: isOAuth, into: &clientHead)
        if isEventStream {
            // An event stream's head goes out at once, before any event.
            context.writeAndFlush(wrapOutboundOut(clientHead), promise: nil)
        } else {
            pendingHead = clientHead
        }
    }

    func writeBody(_ buffer: ByteBuffer, framing: HeaderRewriting.ClientFraming) {
        if var head = pendingHead, framing == .asUpstream, buffer.readableBytes <= Self.chunkCopyLimit {
            pendingHead = nil
            var buffer = buffer
            head.writeBuffer(&buffer)
            context.write(wrapOutboundOut(head), promise: nil)
            return
        }
        writePendingHead()
        guard framing == .chunked else {
            context.write(wrapOutboundOut(buffer), promise: nil)
            return
        }
        let length = buffer.readableBytes
        guard length > 0 else { return }
        let copies = length <= Self.chunkCopyLimit
        var chunk = context.channel.allocator.buffer(capacity: copies ? length + 24 : 20)
        Self.writeChunkSize(length, into: &chunk)
        if copies {
            var buffer = buffer
            chunk.writeBuffer(&buffer)
            chunk.writeStaticString("\r\n")
            context.write(wrapOutboundOut(chunk), promise: nil)
        } else {
            context.write(wrapOutboundOut(chunk), promise: nil)
            context.write(wrapOutboundOut(buffer), promise: nil)
            context.write(wrapOutboundOut(Self.crlf), promise: nil)
        }
    }

    /// The terminating chunk, when the body is chunked; nothing otherwise.
    func writeBodyEnd(framing: HeaderRewriting.ClientFraming) {
        writePendingHead()
        guard framing == .chunked else { return }
        context.write(wrapOutboundOut(Self.lastChunk), promise: nil)
    }

    /// Flushes the response so far, a held-back head included (end of a read burst, or a cut).
    func flushResponse() {
        writePendingHead()
        context.flush()
    }

    /// The local event stream for upstreams that cannot stream: an SSE comment at once and every
    /// `heartbeat_interval`, so that clients which insist on a GET stream stay connected.
    func startHeartbeat(framing: HeaderRewriting.ClientFraming) {
        var head = context.channel.allocator.buffer(capacity: 160)
        head.writeStaticString("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\n")
        head.writeStaticString(framing == .chunked ? "transfer-encoding: chunked\r\n" : "connection: close\r\n")
        head.writeStaticString("\r\n")
        context.write(wrapOutboundOut(head), promise: nil)
        writeBody(Self.heartbeatComment, framing: framing)
        context.flush()
        let interval = TimeAmount.milliseconds(runtime.profile.heartbeatInterval.milliseconds)
        // Cancelled when the exchange ends, which breaks the reference cycle.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let handler = bound.value
            handler.execute(handler.machine.heartbeatDue())
        }
    }

    private func writePendingHead() {
        guard let head = pendingHead else { return }
        pendingHead = nil
        context.write(wrapOutboundOut(head), promise: nil)
    }

    private static func writeChunkSize(_ length: Int, into out: inout ByteBuffer) {
        let digits = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - length.leadingZeroBitCount + 3) / 4 * 4 - 4
        while shift >= 0 {
            out.writeInteger(digits[(length >> shift) & 0xF])
            shift -= 4
        }
        out.writeStaticString("\r\n")
    }
}
