import NIOCore

/// Splits the byte stream of one upstream connection into response heads and body bytes.
///
/// A value type with no I/O: the connection handler feeds it what it reads and executes the
/// events it returns, so every framing rule is testable without a socket. Body bytes are returned
/// as slices of the input (no copy); chunked bodies come out de-chunked, trailers are dropped.
/// Interim 1xx responses are consumed. Anything ambiguous (Transfer-Encoding with Content-Length,
/// conflicting lengths, obs-fold, bare CR or LF, a head over `maxHeadBytes`) is an error, since
/// the head's bytes are relayed to the client as they are.
struct ResponseParser {
    enum Event: Equatable {
        /// A final response head; read it from `head`.
        case head(status: Int)
        case body(ByteBuffer)
        case end
    }

    enum Failure: Error, Equatable {
        case malformed(String)
        /// The connection closed before the message was complete.
        case truncated
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        /// The message is complete; `.end` is the next event.
        case endPending
        /// After an error; nothing more is parsed.
        case failed
    }

    static let maxHeadBytes = 64 * 1024
    private static let maxChunkLine = 4 * 1024

    private var state = State.head
    private var input: ByteBuffer?
    /// The last final response head.
    private(set) var head: ResponseHead?

    /// True while no response is in progress and nothing is buffered.
    var isBetweenMessages: Bool {
        if case .head = state { return (input?.readableBytes ?? 0) == 0 }
        return false
    }

    mutating func feed(_ buffer: ByteBuffer) {
        if input == nil || input!.readableBytes == 0 {
            input = buffer
        } else {
            var buffer = buffer
            input!.writeBuffer(&buffer)
        }
    }

    /// The next event from the bytes fed so far, or nil when more input is needed.
    mutating func next() throws(Failure) -> Event? {
        while true {
            if case .endPending = state {
                state = .head
                return .end
            }
            guard var buffer = input, buffer.readableBytes > 0 else { return nil }
            input = nil  // keeps the storage uniquely referenced while slicing
            defer { input = buffer }
            switch state {
            case .failed, .endPending:
                return nil
            case .head:
                guard let headEnd = Self.findHeadEnd(buffer) else {
                    if buffer.readableBytes > Self.maxHeadBytes { return try fail("response head exceeds \(Self.maxHeadBytes) bytes") }
                    return nil
                }
                let parsed: ResponseHead
                do {
                    parsed = try ResponseHeadReader.read(buffer.readSlice(length: headEnd)!)
                } catch {
                    return try fail(error.reason)
                }
                if parsed.status < 200 {
                    if parsed.status == 101 { return try fail("unexpected 101 Switching Protocols") }
                    continue
                }
                head = parsed
                switch parsed.framing {
                case .none, .contentLength(0): state = .endPending
                case .contentLength(let length): state = .body(remaining: length)
                case .chunked: state = .chunkSize
                case .untilClose: state = .untilClose
                }
                return .head(status: parsed.status)
            case .body(let remaining):
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                state = remaining == slice.readableBytes ? .endPending : .body(remaining: remaining - slice.readableBytes)
                return .body(slice)
            case .untilClose:
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkSize:
                guard let line = try readLine(&buffer, limit: Self.maxChunkLine, what: "chunk size line") else { return nil }
                guard let size = Self.chunkSize(line) else { return try fail("invalid chunk size") }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                state = remaining == slice.readableBytes ? .chunkDataEnd : .chunkData(remaining: remaining - slice.readableBytes)
                return .body(slice)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { return try fail("chunk data not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try readLine(&buffer, limit: Self.maxHeadBytes, what: "trailer") else { return nil }
                if line.readableBytes == 0 {
                    state = .head
                    return .end
                }
            }
        }
    }

    /// The upstream closed the connection: the end of a close-delimited body, otherwise truncation
    /// (nil when no message was in progress).
    mutating func inputClosed() throws(Failure) -> Event? {
        switch state {
        case .untilClose, .endPending:
            state = .head
            return .end
        case .head where (input?.readableBytes ?? 0) == 0:
            return nil
        case .failed:
            return nil
        default:
            state = .failed
            throw .truncated
        }
    }

    private mutating func fail<T>(_ reason: String) throws(Failure) -> T {
        state = .failed
        throw .malformed(reason)
    }

    /// One CRLF-terminated line without its terminator, or nil when it has not fully arrived.
    private mutating func readLine(_ buffer: inout ByteBuffer, limit: Int, what: String) throws(Failure) -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 0x0A) else {
            if view.count > limit { return try fail("\(what) too long") }
            return nil
        }
        let length = lf - view.startIndex
        guard length >= 1, view[lf - 1] == 0x0D else { return try fail("bare LF in \(what)") }
        let line = buffer.readSlice(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// Offset just past the blank line that ends the head, or nil.
    private static func findHeadEnd(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            var index = 3
            while index < raw.count {
                if raw[index] == 0x0A, raw[index - 1] == 0x0D, raw[index - 2] == 0x0A, raw[index - 3] == 0x0D { return index + 1 }
                index += 1
            }
            return nil
        }
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
