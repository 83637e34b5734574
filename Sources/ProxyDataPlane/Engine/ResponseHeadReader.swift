import NIOCore

/// Reads one response head (status line to blank line) into a `ResponseHead`, strictly: the
/// head's bytes are later copied to the client, so a byte that could split or fold a line there
/// is refused here.
enum ResponseHeadReader {
    struct Invalid: Error {
        let reason: String
    }

    static let maxFields = 256

    static func read(_ bytes: ByteBuffer) throws(Invalid) -> ResponseHead {
        let result = bytes.withUnsafeReadableBytes { raw -> Result<ResponseHead, Invalid> in
            var reader = Reader(raw: raw)
            return Result { () throws(Invalid) in try reader.head(bytes) }
        }
        return try result.get()
    }

    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var index = 0

        mutating func head(_ bytes: ByteBuffer) throws(Invalid) -> ResponseHead {
            guard raw.count >= 12, raw.starts(with: "HTTP/1.".utf8), raw[8] == 0x20 else { throw Invalid(reason: "bad status line") }
            let isHTTP11: Bool
            switch raw[7] {
            case UInt8(ascii: "1"): isHTTP11 = true
            case UInt8(ascii: "0"): isHTTP11 = false
            default: throw Invalid(reason: "unsupported HTTP version")
            }
            var status = 0
            for offset in 9..<12 {
                let digit = raw[offset] &- UInt8(ascii: "0")
                guard digit <= 9 else { throw Invalid(reason: "bad status code") }
                status = status * 10 + Int(digit)
            }
            guard status >= 100 else { throw Invalid(reason: "bad status code") }
            index = 12
            let reasonStart: Int
            if raw[index] == 0x20 {
                index += 1
                reasonStart = index
            } else {
                reasonStart = index
            }
            let reasonEnd = try lineEnd()
            var fields: [ResponseHead.Field] = []
            fields.reserveCapacity(12)
            var facts = Facts()
            while true {
                if raw[index] == 0x0D {
                    guard index + 1 < raw.count, raw[index + 1] == 0x0A else { throw Invalid(reason: "bare CR in head") }
                    break
                }
                guard fields.count < maxFields else { throw Invalid(reason: "more than \(maxFields) header fields") }
                let field = try field()
                facts.note(field, in: raw)
                fields.append(field)
            }
            guard !facts.conflictingLength else { throw Invalid(reason: "conflicting Content-Length values") }
            let framing: ResponseHead.Framing
            if status < 200 || status == 204 || status == 304 {
                framing = .none
            } else if facts.hasTransferEncoding {
                guard facts.contentLength == nil else { throw Invalid(reason: "both Transfer-Encoding and Content-Length") }
                framing = facts.chunkedLast ? .chunked : .untilClose
            } else if let length = facts.contentLength {
                framing = .contentLength(length)
            } else {
                framing = .untilClose
            }
            return ResponseHead(
                bytes: bytes, status: status, reason: reasonStart..<reasonEnd, fields: fields, framing: framing,
                keepAlive: isHTTP11 && !facts.connectionClose && framing != .untilClose,
                isEventStream: facts.isEventStream)
        }

        /// Moves past the CRLF ending the current line and returns where its text ended.
        /// Control bytes other than HTAB are refused (bare CR, LF, NUL, DEL).
        mutating func lineEnd() throws(Invalid) -> Int {
            while index < raw.count {
                let byte = raw[index]
                if byte == 0x0D {
                    guard index + 1 < raw.count, raw[index + 1] == 0x0A else { throw Invalid(reason: "bare CR in head") }
                    let end = index
                    index += 2
                    return end
                }
                guard byte >= 0x20 || byte == 0x09, byte != 0x7F else { throw Invalid(reason: "control character in head") }
                index += 1
            }
            throw Invalid(reason: "unterminated head")
        }

        mutating func field() throws(Invalid) -> ResponseHead.Field {
            let nameStart = index
            while index < raw.count, Self.isTokenByte(raw[index]) { index += 1 }
            guard index > nameStart, index < raw.count, raw[index] == UInt8(ascii: ":") else {
                throw Invalid(reason: raw[nameStart] == 0x20 || raw[nameStart] == 0x09 ? "obsolete line folding" : "bad header name")
            }
            let nameEnd = index
            index += 1
            while index < raw.count, raw[index] == 0x20 || raw[index] == 0x09 { index += 1 }
            let valueStart = index
            var valueEnd = try lineEnd()
            while valueEnd > valueStart, raw[valueEnd - 1] == 0x20 || raw[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            return ResponseHead.Field(name: nameStart..<nameEnd, value: valueStart..<valueEnd)
        }

        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// What the head's fields say about framing and connection reuse.
    private struct Facts {
        var contentLength: Int?
        var conflictingLength = false
        var hasTransferEncoding = false
        var chunkedLast = false
        var connectionClose = false
        var isEventStream = false

        mutating func note(_ field: ResponseHead.Field, in raw: UnsafeRawBufferPointer) {
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
                chunkedLast = ASCII.lastToken(value).map { ASCII.equalsIgnoringCase($0, "chunked") } ?? false
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
