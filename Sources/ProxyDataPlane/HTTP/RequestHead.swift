import NIOCore

/// A client request head kept as the bytes that arrived, with what the proxy needs to decide on
/// it already extracted. Field lines are later copied upstream from these bytes.
struct RequestHead {
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
    /// The Host and Origin values (nil when absent).
    let host: String?
    let origin: String?
    let connectionClose: Bool
    let connectionKeepAlive: Bool
    let expectsContinue: Bool

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
