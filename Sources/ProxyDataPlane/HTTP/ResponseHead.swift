import NIOCore

/// An upstream response head kept as the bytes that arrived, with the offsets of each field.
/// The client head is rewritten from these bytes directly: no header is decoded into a `String`.
/// A class of constants, like `RequestHead`: passed along as one reference.
final class ResponseHead: Sendable {
    /// How the body that follows the head is delimited (RFC 9112 §6.3).
    enum Framing: Equatable {
        /// 1xx, 204, 304: the head is the whole message.
        case none
        case contentLength(Int)
        case chunked
        /// No length given: the body ends when the upstream closes the connection.
        case untilClose
    }

    let bytes: ByteBuffer
    let status: Int
    /// The reason phrase as sent (may be empty).
    let reason: Range<Int>
    let fields: [HeaderField]
    let framing: Framing
    /// False when the upstream asked to close, spoke HTTP/1.0, or delimits the body by closing.
    let keepAlive: Bool
    let isEventStream: Bool
    /// A `Content-Encoding` other than `identity`: the body is not the bytes a filter could read.
    let isContentCoded: Bool

    init(bytes: ByteBuffer, status: Int, reason: Range<Int>, fields: [HeaderField], framing: Framing, keepAlive: Bool,
         isEventStream: Bool, isContentCoded: Bool) {
        self.bytes = bytes
        self.status = status
        self.reason = reason
        self.fields = fields
        self.framing = framing
        self.keepAlive = keepAlive
        self.isEventStream = isEventStream
        self.isContentCoded = isContentCoded
    }
}
