import Crypto
import ProxyConfig

/// `signing.string_to_sign` and `signing.headers`: an in-house gateway's HMAC scheme, as its
/// template says. Per request: the pieces are rendered (the body hashed only when the template
/// names it, a nonce drawn only when it does), the HMAC computed with the profile's prepared key
/// and encoding, and each header rendered with the signature. Nothing is parsed per request.
package struct TemplateSigner: RequestSigner {
    let template: SigningTemplate
    /// Which costly values the template names, decided once.
    let uses: Uses

    struct Uses: Sendable {
        let nonce: Bool
        let digestHex: Bool
        let digestBase64: Bool

        init(_ template: SigningTemplate) {
            let all = template.stringToSign + template.headers.flatMap(\.value)
            nonce = all.contains(.placeholder(.nonce))
            digestHex = all.contains(.placeholder(.bodySHA256Hex))
            digestBase64 = all.contains(.placeholder(.bodySHA256Base64))
        }
    }

    package init(template: SigningTemplate) {
        self.template = template
        uses = Uses(template)
    }

    package var signsBody: Bool { template.usesBody }

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                      into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        sign(method: method, target: target, body: nil, header: { _ in nil }, key: key, unixMilliseconds: unixMilliseconds, into: field)
    }

    package func sign(method: String, target: String, body: UnsafeRawBufferPointer?, header: (String) -> String?, key: SigningKey,
                      unixMilliseconds: Int64, into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        let values = Values(uses: uses, method: method, target: target, body: body, key: key,
                            unixMilliseconds: unixMilliseconds, nonce: nil)
        let input = values.render(template.stringToSign, header: header)
        let signature = Self.signature(of: input, key: key)
        for entry in template.headers {
            values.render(entry.value, signature: signature, header: header).withUnsafeBytes { field(entry.name, $0) }
        }
    }

    /// The string to sign for `sign`'s explanation, with a fixed nonce when one is given.
    package func stringToSign(method: String, target: String, body: UnsafeRawBufferPointer?, key: SigningKey,
                              unixMilliseconds: Int64, nonce: String?) -> (input: [UInt8], headers: [(String, String)]) {
        let values = Values(uses: uses, method: method, target: target, body: body, key: key,
                            unixMilliseconds: unixMilliseconds, nonce: nonce)
        let input = values.render(template.stringToSign, header: { _ in nil })
        let signature = Self.signature(of: input, key: key)
        return (input, template.headers.map { ($0.name, String(decoding: values.render($0.value, signature: signature, header: { _ in nil }), as: UTF8.self)) })
    }

    static func signature(of input: [UInt8], key: SigningKey) -> [UInt8] {
        input.withUnsafeBytes { message in
            key.authenticationCode(for: message) { mac in
                let length = key.options.encoding == .hex ? mac.count * 2 : (mac.count + 2) / 3 * 4
                return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                    if key.options.encoding == .hex { SignatureEncoding.hex(mac, into: buffer) } else { SignatureEncoding.base64(mac, into: buffer) }
                    count = length
                }
            }
        }
    }

    /// The request's values, each computed once and only when the template names it.
    struct Values {
        let method: String
        let path: Substring
        let query: Substring
        let target: String
        let timestamp: String
        let nonce: String
        let keyID: String
        let digestHex: String
        let digestBase64: String

        init(uses: Uses, method: String, target: String, body: UnsafeRawBufferPointer?,
             key: SigningKey, unixMilliseconds: Int64, nonce: String?) {
            self.method = method
            self.target = target
            let mark = target.firstIndex(of: "?")
            path = target[..<(mark ?? target.endIndex)]
            query = mark.map { target[target.index(after: $0)...] } ?? ""
            timestamp = String(key.options.timestampUnit == .unixSeconds ? unixMilliseconds / 1000 : unixMilliseconds)
            self.nonce = nonce ?? (uses.nonce ? Self.randomHex() : "")
            keyID = key.keyID
            var hex = "", base64 = ""
            if uses.digestHex || uses.digestBase64 {
                SHA256.digest(body ?? UnsafeRawBufferPointer(start: nil, count: 0)).withUnsafeBytes { digest in
                    if uses.digestHex {
                        hex = String(unsafeUninitializedCapacity: 64) { buffer in SignatureEncoding.hex(digest, into: buffer); return 64 }
                    }
                    if uses.digestBase64 {
                        base64 = String(unsafeUninitializedCapacity: 44) { buffer in SignatureEncoding.base64(digest, into: buffer); return 44 }
                    }
                }
            }
            digestHex = hex
            digestBase64 = base64
        }

        func render(_ pieces: [SigningTemplate.Piece], signature: [UInt8] = [], header: (String) -> String?) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(128)
            for piece in pieces {
                switch piece {
                case .literal(let text): out += text.utf8
                case .placeholder(let placeholder):
                    switch placeholder {
                    case .method: out += method.utf8
                    case .path: out += path.utf8
                    case .query: out += query.utf8
                    case .target: out += target.utf8
                    case .timestamp: out += timestamp.utf8
                    case .nonce: out += nonce.utf8
                    case .keyID: out += keyID.utf8
                    case .signature: out += signature
                    case .bodySHA256Hex: out += digestHex.utf8
                    case .bodySHA256Base64: out += digestBase64.utf8
                    case .header(let name): out += (header(name) ?? "").utf8
                    }
                }
            }
            return out
        }

        /// 128 random bits as 32 hex digits: two draws from the system generator, not sixteen.
        static func randomHex() -> String {
            var generator = SystemRandomNumberGenerator()
            var words = (generator.next() as UInt64, generator.next() as UInt64)
            return withUnsafeBytes(of: &words) { raw in
                String(unsafeUninitializedCapacity: 32) { buffer in SignatureEncoding.hex(raw, into: buffer); return 32 }
            }
        }
    }
}
