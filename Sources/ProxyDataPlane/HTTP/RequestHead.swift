import NIOCore

/// A client request head kept as the bytes that arrived, with what the proxy needs to decide on
/// it already extracted. Field lines are later copied upstream from these bytes.
///
/// A class of constants: the exchange, the state machine's actions and the upstream request all
/// hold the same head, and passing it is one reference, not a copy of its buffer, strings and
/// field list (a struct was copied eight times per request, each copy five retains).
final class RequestHead: Sendable {
    enum Framing: Equatable {
        case contentLength(Int)
        case chunked
    }

    let bytes: ByteBuffer
    let method: String
    let target: String
    let isHTTP11: Bool
    let fields: [HeaderField]
    let framing: Framing
    /// Where the Host value is in `bytes` (nil when absent): checked on its bytes, never made a
    /// `String` on the request path.
    let hostRange: Range<Int>?
    /// The Origin value (nil when absent).
    let origin: String?
    let connectionClose: Bool
    let connectionKeepAlive: Bool
    let expectsContinue: Bool

    init(bytes: ByteBuffer, method: String, target: String, isHTTP11: Bool, fields: [HeaderField], framing: Framing,
         hostRange: Range<Int>?, origin: String?, connectionClose: Bool, connectionKeepAlive: Bool, expectsContinue: Bool) {
        self.bytes = bytes
        self.method = method
        self.target = target
        self.isHTTP11 = isHTTP11
        self.fields = fields
        self.framing = framing
        self.hostRange = hostRange
        self.origin = origin
        self.connectionClose = connectionClose
        self.connectionKeepAlive = connectionKeepAlive
        self.expectsContinue = expectsContinue
    }

    /// The Host value, for tests and messages.
    var host: String? { withHostBytes { $0.map { String(decoding: $0, as: UTF8.self) } } }

    /// The Host value's bytes (nil when absent), lent for the call.
    func withHostBytes<T>(_ body: (UnsafeRawBufferPointer?) -> T) -> T {
        guard let hostRange else { return body(nil) }
        return bytes.withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[hostRange])) }
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked to keep it.
    var isKeepAlive: Bool { isHTTP11 ? !connectionClose : connectionKeepAlive && !connectionClose }

    var declaredLength: Int? {
        if case .contentLength(let length) = framing { return length }
        return nil
    }

    /// The value of the first field named `name` (lower case), for signing templates' `{header:…}`.
    func value(of name: String) -> String? {
        bytes.withUnsafeReadableBytes { raw -> String? in
            for field in fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), lowercased: name) {
                return String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self)
            }
            return nil
        }
    }
}
