import ProxyDataPlane
import NIOCore

/// Cuts stdin into lines (MCP stdio framing: one message per line). A line longer than the bound
/// is reported once and skipped up to its end, so one oversized message costs an error response,
/// never the bridge or unbounded memory.
struct LineFramer: ByteToMessageDecoder {
    enum Frame {
        case line(ByteBuffer)
        /// A line over the bound; `start` is its first bytes (`OversizedMessage.prefixBytes`).
        case tooLong(start: [UInt8])
    }
    typealias InboundOut = Frame

    let maximumLineBytes: Int
    private var discarding = false

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > maximumLineBytes {
                if !discarding { context.fireChannelRead(wrapInboundOut(.tooLong(start: Self.start(of: buffer)))) }
                discarding = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if discarding {
            discarding = false
            return .continue
        }
        if line.readableBytes > maximumLineBytes {
            context.fireChannelRead(wrapInboundOut(.tooLong(start: Self.start(of: line))))
            return .continue
        }
        if line.readableBytesView.last == 0x0D { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    private static func start(of line: ByteBuffer) -> [UInt8] {
        Array(line.readableBytesView.prefix(OversizedMessage.prefixBytes))
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without its newline still counts.
        if buffer.readableBytes > 0, !discarding {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
