import NIOCore

/// One request on a client connection, from its head to the last byte of its response.
/// Confined to the connection's event loop.
final class RequestExchange {
    enum Phase {
        /// Reading the request body (it is forwarded whole, with a Content-Length).
        case collecting
        /// Rejected at the head; the body is drained, then the local response is written.
        case rejecting(LocalResponse)
        /// Sent upstream, no response head yet.
        case awaitingUpstream
        /// Response head written to the client; body streaming.
        case streaming
        /// Local heartbeat event stream.
        case heartbeat
    }

    let head: RequestHead
    let method: String
    let logPath: Substring
    let startedAt: NIODeadline
    var phase: Phase
    var upstreamTarget = ""
    var body: ByteBuffer?
    var rpcMethod: String?
    var status = 0
    var upstreamStatus = 0
    var bytesOut = 0
    var isEventStream = false
    /// How the response body is framed on the client connection.
    var clientFraming = HeaderRewriting.ClientFraming.asUpstream
    /// The client response head, held until the body's first bytes so both leave in one write.
    var pendingHead: ByteBuffer?
    var errorSnippet: ByteBuffer?
    var errorTruncated = false
    var failure: UpstreamFailure?
    var upstream: UpstreamPool.Connection?
    /// When the request went upstream; `request_timeout` counts from here (event streams exempt).
    var forwardedAt: NIODeadline?
    var heartbeatTask: RepeatedTask?
    /// A GET whose 405 taught us the upstream cannot stream: its body is drained, not relayed.
    var drainingUpstream = false

    init(head: RequestHead, phase: Phase) {
        self.head = head
        self.method = head.method
        self.logPath = RequestRouter.logPath(head.target)
        self.startedAt = .now()
        self.phase = phase
    }

    static let errorSnippetLimit = 512

    func captureErrorBody(_ buffer: ByteBuffer) {
        guard upstreamStatus >= 400 else { return }
        let room = Self.errorSnippetLimit - (errorSnippet?.readableBytes ?? 0)
        guard room > 0 else {
            errorTruncated = errorTruncated || buffer.readableBytes > 0
            return
        }
        var slice = buffer.getSlice(at: buffer.readerIndex, length: min(room, buffer.readableBytes))!
        if buffer.readableBytes > room { errorTruncated = true }
        if errorSnippet == nil { errorSnippet = slice } else { errorSnippet!.writeBuffer(&slice) }
    }
}
