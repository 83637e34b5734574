import NIOCore

/// De-chunks a `Transfer-Encoding: chunked` body (RFC 9112 §7.1), for requests and responses
/// alike. Extensions are ignored and trailers dropped; data comes out as slices of the input.
struct ChunkedBodyDecoder {
    enum Step: Equatable {
        case data(ByteBuffer)
        /// The last chunk and the trailer section have been read.
        case end
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private static let maxSizeLine = 4 * 1024
    private static let maxTrailerLine = 64 * 1024
    private var state = State.size

    /// The next step from `buffer`, or nil when more input is needed.
    mutating func next(_ buffer: inout ByteBuffer) throws(InvalidHead) -> Step? {
        while buffer.readableBytes > 0 {
            switch state {
            case .size:
                guard let line = try buffer.readCRLFLine(limit: Self.maxSizeLine, what: "chunk size line") else { return nil }
                guard let size = Self.chunkSize(line) else { throw InvalidHead(reason: "invalid chunk size") }
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                state = remaining == slice.readableBytes ? .dataEnd : .data(remaining: remaining - slice.readableBytes)
                return .data(slice)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw InvalidHead(reason: "chunk data not followed by CRLF") }
                state = .size
            case .trailers:
                guard let line = try buffer.readCRLFLine(limit: Self.maxTrailerLine, what: "trailer") else { return nil }
                if line.readableBytes == 0 {
                    state = .size
                    return .end
                }
            }
        }
        return nil
    }

    /// Hex digits, optionally followed by `;extensions`, which are ignored.
    private static func chunkSize(_ line: ByteBuffer) -> Int? {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default:
                return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | value
        }
        return digits > 0 ? size : nil
    }
}
