import NIOCore

/// Reads one request head (request line to blank line) into a `RequestHead`, refusing what
/// request smuggling is made of: Content-Length with Transfer-Encoding, repeated or malformed
/// lengths, a transfer coding other than `chunked`, several Host fields, obs-fold.
enum RequestHeadReader {
    static func read(_ bytes: ByteBuffer) throws(InvalidHead) -> RequestHead {
        let result = bytes.withUnsafeReadableBytes { raw -> Result<RequestHead, InvalidHead> in
            Result { () throws(InvalidHead) in try read(bytes, raw) }
        }
        return try result.get()
    }

    private static func read(_ bytes: ByteBuffer, _ raw: UnsafeRawBufferPointer) throws(InvalidHead) -> RequestHead {
        var scanner = HeadScanner(raw)
        while scanner.index < raw.count, HeadScanner.isTokenByte(raw[scanner.index]) { scanner.index += 1 }
        let methodEnd = scanner.index
        guard methodEnd > 0, methodEnd < raw.count, raw[methodEnd] == 0x20 else { throw InvalidHead(reason: "bad request line") }
        let targetStart = methodEnd + 1
        var targetEnd = targetStart
        while targetEnd < raw.count, raw[targetEnd] > 0x20, raw[targetEnd] < 0x7F { targetEnd += 1 }
        guard targetEnd > targetStart, raw.count - targetEnd >= 10, raw[targetEnd] == 0x20,
              ASCII.hasPrefix(UnsafeRawBufferPointer(rebasing: raw[(targetEnd + 1)...]), "HTTP/1."),
              raw[targetEnd + 9] == 0x0D, raw[targetEnd + 10] == 0x0A else {
            throw InvalidHead(reason: "bad request line")
        }
        let isHTTP11: Bool
        switch raw[targetEnd + 8] {
        case UInt8(ascii: "1"): isHTTP11 = true
        case UInt8(ascii: "0"): isHTTP11 = false
        default: throw InvalidHead(reason: "unsupported HTTP version")
        }
        scanner.index = targetEnd + 11
        var facts = Facts()
        let fields = try scanner.fields { field, raw throws(InvalidHead) in try facts.note(field, in: raw) }
        let framing: RequestHead.Framing
        if facts.chunked {
            guard facts.contentLength == nil else { throw InvalidHead(reason: "both Transfer-Encoding and Content-Length") }
            guard isHTTP11 else { throw InvalidHead(reason: "Transfer-Encoding in an HTTP/1.0 request") }
            framing = .chunked
        } else {
            framing = .contentLength(facts.contentLength ?? 0)
        }
        func text(_ range: Range<Int>?) -> String? {
            range.map { String(decoding: UnsafeRawBufferPointer(rebasing: raw[$0]), as: UTF8.self) }
        }
        return RequestHead(
            bytes: bytes,
            method: String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<methodEnd]), as: UTF8.self),
            target: String(decoding: UnsafeRawBufferPointer(rebasing: raw[targetStart..<targetEnd]), as: UTF8.self),
            isHTTP11: isHTTP11, fields: fields, framing: framing,
            hostRange: facts.host, origin: text(facts.origin),
            connectionClose: facts.connectionClose, connectionKeepAlive: facts.connectionKeepAlive,
            expectsContinue: facts.expectsContinue)
    }

    private struct Facts {
        var contentLength: Int?
        var chunked = false
        var host: Range<Int>?
        var origin: Range<Int>?
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false

        mutating func note(_ field: HeaderField, in raw: UnsafeRawBufferPointer) throws(InvalidHead) {
            let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
            let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
            switch name.count {
            case 4 where ASCII.equalsIgnoringCase(name, "host"):
                guard host == nil else { throw InvalidHead(reason: "more than one Host field") }
                host = field.value
            case 6 where ASCII.equalsIgnoringCase(name, "origin"):
                guard origin == nil else { throw InvalidHead(reason: "more than one Origin field") }
                origin = field.value
            case 6 where ASCII.equalsIgnoringCase(name, "expect"):
                expectsContinue = ASCII.equalsIgnoringCase(value, "100-continue")
            case 14 where ASCII.equalsIgnoringCase(name, "content-length"):
                guard contentLength == nil else { throw InvalidHead(reason: "more than one Content-Length field") }
                guard let length = ASCII.decimal(value) else { throw InvalidHead(reason: "invalid Content-Length") }
                contentLength = length
            case 17 where ASCII.equalsIgnoringCase(name, "transfer-encoding"):
                // Only `chunked` alone: the body is forwarded de-chunked with a Content-Length, so
                // any other coding could not be passed on faithfully.
                guard !chunked, ASCII.equalsIgnoringCase(value, "chunked") else { throw InvalidHead(reason: "unsupported Transfer-Encoding") }
                chunked = true
            case 10 where ASCII.equalsIgnoringCase(name, "connection"):
                ASCII.forEachToken(value) { token in
                    if ASCII.equalsIgnoringCase(token, "close") { connectionClose = true }
                    if ASCII.equalsIgnoringCase(token, "keep-alive") { connectionKeepAlive = true }
                }
            default:
                break
            }
        }
    }
}
