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
        case body(BodyDecoder)
        /// After an error; nothing more is parsed.
        case failed
    }

    static let maxHeadBytes = 64 * 1024

    private var state = State.head
    private var input = ByteBuffer()
    /// The last final response head.
    private(set) var head: ResponseHead?

    /// True while no response is in progress and nothing is buffered.
    var isBetweenMessages: Bool {
        if case .head = state { return input.readableBytes == 0 }
        return false
    }

    mutating func feed(_ buffer: ByteBuffer) {
        input.absorb(buffer)
    }

    /// The next event from the bytes fed so far, or nil when more input is needed.
    mutating func next() throws(Failure) -> Event? {
        while true {
            var buffer = input
            defer { input = buffer }
            switch state {
            case .failed:
                return nil
            case .head:
                guard let headEnd = HeadScanner.headEnd(buffer) else {
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
                case .none: state = .body(.length(0))
                case .contentLength(let length): state = .body(.length(length))
                case .chunked: state = .body(.chunked)
                case .untilClose: state = .body(.untilClose)
                }
                return .head(status: parsed.status)
            case .body(var decoder):
                let step: BodyDecoder.Step?
                do {
                    step = try decoder.next(&buffer)
                } catch {
                    return try fail(error.reason)
                }
                state = step == .end ? .head : .body(decoder)
                switch step {
                case .data(let slice)?: return .body(slice)
                case .end?: return .end
                case nil: return nil
                }
            }
        }
    }

    /// The upstream closed the connection: the end of a close-delimited body (or of one already
    /// complete), otherwise truncation; nil when no message was in progress.
    mutating func inputClosed() throws(Failure) -> Event? {
        switch state {
        case .body(var decoder):
            var empty = ByteBuffer()
            if (try? decoder.next(&empty)) == .end || decoder.inputClosed() == .end {
                state = .head
                return .end
            }
            state = .failed
            throw .truncated
        case .head where input.readableBytes == 0:
            return nil
        case .failed:
            return nil
        case .head:
            state = .failed
            throw .truncated
        }
    }

    private mutating func fail<T>(_ reason: String) throws(Failure) -> T {
        state = .failed
        throw .malformed(reason)
    }
}
