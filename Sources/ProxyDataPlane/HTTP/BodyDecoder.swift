import NIOCore

/// The body of one message, request or response: how it is delimited and how much is left.
/// Data comes out as slices of the input; a chunked body comes out de-chunked.
struct BodyDecoder {
    enum Step: Equatable {
        case data(ByteBuffer)
        case end
    }

    private enum State {
        case length(remaining: Int)
        case chunked(ChunkedBodyDecoder)
        /// A response without a length: it ends when the connection closes.
        case untilClose
        case done
    }

    private var state: State

    static func length(_ length: Int) -> BodyDecoder { BodyDecoder(state: .length(remaining: length)) }
    static let chunked = BodyDecoder(state: .chunked(ChunkedBodyDecoder()))
    static let untilClose = BodyDecoder(state: .untilClose)

    /// The next step, or nil when more input is needed. An empty or finished length-delimited
    /// body ends without any input.
    mutating func next(_ buffer: inout ByteBuffer) throws(InvalidHead) -> Step? {
        switch state {
        case .length(remaining: 0):
            state = .done
            return .end
        case .length(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
            state = .length(remaining: remaining - slice.readableBytes)
            return .data(slice)
        case .chunked(var decoder):
            let step = try decoder.next(&buffer)
            state = step == .end ? .done : .chunked(decoder)
            switch step {
            case .data(let slice)?: return .data(slice)
            case .end?: return .end
            case nil: return nil
            }
        case .untilClose:
            guard buffer.readableBytes > 0 else { return nil }
            return .data(buffer.readSlice(length: buffer.readableBytes)!)
        case .done:
            return nil
        }
    }

    /// The connection closed: the end of a close-delimited body; nil for any other framing.
    mutating func inputClosed() -> Step? {
        guard case .untilClose = state else { return nil }
        state = .done
        return .end
    }
}

extension ByteBuffer {
    /// Adds newly read bytes to what is waiting to be parsed, without a copy when nothing waits.
    mutating func absorb(_ received: ByteBuffer) {
        if readableBytes == 0 {
            self = received
        } else {
            var received = received
            writeBuffer(&received)
        }
    }
}
