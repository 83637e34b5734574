import NIOCore

/// Splits the byte stream of one client connection into request heads and body bytes.
///
/// A value type with no I/O, like `ResponseParser`: the connection handler feeds it what it reads
/// and asks for events only while it can take another request part, so pipelined requests simply
/// wait in `input`. Chunked bodies come out de-chunked; trailers are dropped.
struct RequestParser {
    enum Event {
        /// A request head; read it from `head`.
        case head
        case body(ByteBuffer)
        case end
    }

    enum Failure: Error, Equatable {
        case malformed(String)
        case headTooLarge
    }

    private enum State {
        case head
        case body(BodyDecoder)
        case failed
    }

    static let maxHeadBytes = 64 * 1024

    private var state = State.head
    private var input = ByteBuffer()
    /// How far the current incomplete head has been scanned for its end.
    private var scannedHeadBytes = 0
    private(set) var head: RequestHead?

    /// Bytes received and not yet parsed (pipelined requests wait here).
    var bufferedBytes: Int { input.readableBytes }

    /// No request is partly read and nothing waits unparsed: closing now leaves none of the
    /// client's bytes unread (except any still in flight after a complete request).
    var isBetweenRequests: Bool {
        if case .head = state { return input.readableBytes == 0 }
        return false
    }

    mutating func feed(_ buffer: ByteBuffer) {
        input.absorb(buffer)
    }

    mutating func next() throws(Failure) -> Event? {
        var buffer = input
        defer { input = buffer }
        switch state {
        case .failed:
            return nil
        case .head:
            // Empty lines before a request line are tolerated (RFC 9112 §2.2).
            while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
            }
            guard let headEnd = HeadScanner.headEnd(buffer, from: scannedHeadBytes) else {
                scannedHeadBytes = max(0, buffer.readableBytes - 3)
                if buffer.readableBytes > Self.maxHeadBytes {
                    state = .failed
                    throw .headTooLarge
                }
                return nil
            }
            scannedHeadBytes = 0
            guard headEnd <= Self.maxHeadBytes else {
                state = .failed
                throw .headTooLarge
            }
            let parsed: RequestHead
            do {
                parsed = try RequestHeadReader.read(buffer.readSlice(length: headEnd)!)
            } catch {
                state = .failed
                throw .malformed(error.reason)
            }
            head = parsed
            switch parsed.framing {
            case .contentLength(let length): state = .body(.length(length))
            case .chunked: state = .body(.chunked)
            }
            return .head
        case .body(var decoder):
            let step: BodyDecoder.Step?
            do {
                step = try decoder.next(&buffer)
            } catch {
                state = .failed
                throw .malformed(error.reason)
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
