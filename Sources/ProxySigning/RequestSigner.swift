import ProxyConfig

/// The three header lines that authenticate one forwarded request.
package struct SignatureHeaders: Sendable, Equatable {
    package var keyID: (name: String, value: String)
    package var timestamp: (name: String, value: String)
    package var signature: (name: String, value: String)

    package var all: [(name: String, value: String)] { [keyID, timestamp, signature] }

    package static func == (lhs: SignatureHeaders, rhs: SignatureHeaders) -> Bool {
        lhs.all.elementsEqual(rhs.all) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Signs requests for an upstream gateway. One instance serves every profile: the per-profile
/// state is in the `SigningKey` passed with each request.
package protocol RequestSigner: Sendable {
    /// Hands each signature header to `field` as soon as it is made, so that the data plane writes
    /// it straight into the outgoing request: no `String` or array is built per request. The
    /// value bytes are valid only during the call.
    /// - Parameters:
    ///   - method: the request method, upper case, as sent upstream.
    ///   - target: the request target exactly as it goes on the upstream request line (path and query).
    ///   - unixMilliseconds: the signing time; callers pass the wall clock, tests a fixed value.
    func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
              into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void)

    /// The same, for schemes that sign the body or a header of the client's request
    /// (`signing.string_to_sign`); the others ignore `body` and `header`.
    /// - Parameters:
    ///   - body: the body exactly as it goes upstream (nil: none).
    ///   - header: a header of the client's request by lower-case name (nil: absent).
    func sign(method: String, target: String, body: UnsafeRawBufferPointer?, header: (String) -> String?, key: SigningKey,
              unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void)

    /// Whether `body` matters to this signer (only then does the caller look at the body).
    var signsBody: Bool { get }
}

extension RequestSigner {
    package func sign(method: String, target: String, body: UnsafeRawBufferPointer?, header: (String) -> String?, key: SigningKey,
                      unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        sign(method: method, target: target, key: key, unixMilliseconds: unixMilliseconds, into: field)
    }

    package var signsBody: Bool { false }
}

extension RequestSigner {
    /// The signature headers as values (tests, diagnostics).
    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64) -> SignatureHeaders {
        var fields: [(name: String, value: String)] = []
        sign(method: method, target: target, key: key, unixMilliseconds: unixMilliseconds) { name, value in
            fields.append((name, String(decoding: value, as: UTF8.self)))
        }
        return SignatureHeaders(keyID: fields[0], timestamp: fields[1], signature: fields[2])
    }
}
