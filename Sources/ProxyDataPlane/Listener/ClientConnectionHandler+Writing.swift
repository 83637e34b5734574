import NIOCore

/// Body framing on the client connection: bytes pass through as read when the upstream's length
/// holds, otherwise each piece becomes one chunk. A head held back for its body's first bytes
/// (`RequestExchange.pendingHead`) is always written before anything that follows it.
extension ClientConnectionHandler {
    /// Pieces up to this size are copied into their chunk's (or their head's) buffer: one iovec
    /// instead of several.
    static let chunkCopyLimit = 4096
    private static let crlf = ByteBuffer(staticString: "\r\n")
    private static let lastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    /// Sets how the response body is framed; a close-delimited body means closing after it.
    func useClientFraming(_ framing: HeaderRewriting.ClientFraming, for exchange: RequestExchange) {
        exchange.clientFraming = framing
        if framing == .untilClose { closeAfterResponse = true }
    }

    func writeBody(_ buffer: ByteBuffer, for exchange: RequestExchange) {
        writePendingHead(exchange)
        guard exchange.clientFraming == .chunked else {
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
    func writeBodyEnd(_ exchange: RequestExchange) {
        writePendingHead(exchange)
        guard exchange.clientFraming == .chunked else { return }
        context.write(wrapOutboundOut(Self.lastChunk), promise: nil)
    }

    /// Flushes the response so far, a held-back head included (end of a read burst, or a cut).
    func flushResponse(_ exchange: RequestExchange) {
        writePendingHead(exchange)
        context.flush()
    }

    private func writePendingHead(_ exchange: RequestExchange) {
        guard let head = exchange.pendingHead else { return }
        exchange.pendingHead = nil
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
