import NIOCore

/// Reads one response head (status line to blank line) into a `ResponseHead`.
enum ResponseHeadReader {
    static func read(_ bytes: ByteBuffer) throws(InvalidHead) -> ResponseHead {
        let result = bytes.withUnsafeReadableBytes { raw -> Result<ResponseHead, InvalidHead> in
            Result { () throws(InvalidHead) in try read(bytes, raw) }
        }
        return try result.get()
    }

    private static func read(_ bytes: ByteBuffer, _ raw: UnsafeRawBufferPointer) throws(InvalidHead) -> ResponseHead {
        guard raw.count >= 12, ASCII.hasPrefix(raw, "HTTP/1."), raw[8] == 0x20 else { throw InvalidHead(reason: "bad status line") }
        let isHTTP11: Bool
        switch raw[7] {
        case UInt8(ascii: "1"): isHTTP11 = true
        case UInt8(ascii: "0"): isHTTP11 = false
        default: throw InvalidHead(reason: "unsupported HTTP version")
        }
        var status = 0
        for offset in 9..<12 {
            let digit = raw[offset] &- UInt8(ascii: "0")
            guard digit <= 9 else { throw InvalidHead(reason: "bad status code") }
            status = status * 10 + Int(digit)
        }
        guard status >= 100 else { throw InvalidHead(reason: "bad status code") }
        var scanner = HeadScanner(raw)
        scanner.index = raw[12] == 0x20 ? 13 : 12
        let reasonStart = scanner.index
        let reasonEnd = try scanner.lineEnd()
        var facts = Facts()
        let fields = try scanner.fields { field, raw throws(InvalidHead) in facts.note(field, in: raw) }
        guard !facts.conflictingLength else { throw InvalidHead(reason: "invalid or conflicting Content-Length") }
        let framing: ResponseHead.Framing
        if status < 200 || status == 204 || status == 304 {
            framing = .none
        } else if facts.hasTransferEncoding {
            guard facts.contentLength == nil else { throw InvalidHead(reason: "both Transfer-Encoding and Content-Length") }
            // The body goes to the client de-chunked and framed anew, with Transfer-Encoding
            // dropped as hop-by-hop: any other coding would reach the client undeclared.
            guard !facts.otherTransferCoding, facts.chunkedCount == 1 else { throw InvalidHead(reason: "a Transfer-Encoding other than chunked") }
            framing = .chunked
        } else if let length = facts.contentLength {
            framing = .contentLength(length)
        } else {
            framing = .untilClose
        }
        return ResponseHead(
            bytes: bytes, status: status, reason: reasonStart..<reasonEnd, fields: fields, framing: framing,
            keepAlive: isHTTP11 && !facts.connectionClose && framing != .untilClose,
            isEventStream: facts.isEventStream, isContentCoded: facts.isContentCoded)
    }

    /// What the head's fields say about framing and connection reuse.
    private struct Facts {
        var contentLength: Int?
        var conflictingLength = false
        var hasTransferEncoding = false
        var chunkedCount = 0
        var otherTransferCoding = false
        var isContentCoded = false
        var connectionClose = false
        var isEventStream = false

        mutating func note(_ field: HeaderField, in raw: UnsafeRawBufferPointer) {
            let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
            let value = UnsafeRawBufferPointer(rebasing: raw[field.value])
            switch name.count {
            case 14 where ASCII.equalsIgnoringCase(name, "content-length"):
                guard let length = ASCII.decimal(value) else {
                    conflictingLength = true
                    return
                }
                if let contentLength, contentLength != length { conflictingLength = true }
                contentLength = length
            case 17 where ASCII.equalsIgnoringCase(name, "transfer-encoding"):
                hasTransferEncoding = true
                ASCII.forEachToken(value) { token in
                    if ASCII.equalsIgnoringCase(token, "chunked") { chunkedCount += 1 } else { otherTransferCoding = true }
                }
            case 16 where ASCII.equalsIgnoringCase(name, "content-encoding"):
                ASCII.forEachToken(value) { token in
                    if !ASCII.equalsIgnoringCase(token, "identity") { isContentCoded = true }
                }
            case 10 where ASCII.equalsIgnoringCase(name, "connection"):
                ASCII.forEachToken(value) { token in
                    if ASCII.equalsIgnoringCase(token, "close") { connectionClose = true }
                }
            case 12 where ASCII.equalsIgnoringCase(name, "content-type"):
                isEventStream = ASCII.hasPrefixIgnoringCase(value, "text/event-stream")
            default:
                break
            }
        }
    }
}
