import ProxyConfig

/// The `auth-gateway` scheme: HMAC over `METHOD "\n" TARGET "\n" TIMESTAMP`, sent as key id,
/// timestamp and signature headers. See docs/signing.md for the contract and test vectors.
public struct AuthGatewaySigner: RequestSigner {
    public init() {}

    public func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64) -> SignatureHeaders {
        let timestamp = key.options.timestampUnit == .unixSeconds ? unixMilliseconds / 1000 : unixMilliseconds
        let timestampText = String(timestamp)
        // The canonical string is assembled in scratch space and the MAC encoded straight from
        // the digest: no intermediate arrays per request.
        let length = method.utf8.count + target.utf8.count + timestampText.utf8.count + 2
        let encoded = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { message in
            var offset = message.initialize(fromContentsOf: method.utf8)
            message[offset] = 0x0A
            offset = message[(offset + 1)...].initialize(fromContentsOf: target.utf8)
            message[offset] = 0x0A
            _ = message[(offset + 1)...].initialize(fromContentsOf: timestampText.utf8)
            return key.authenticationCode(for: UnsafeRawBufferPointer(message)) { mac in
                key.options.encoding == .hex ? SignatureEncoding.hex(mac) : SignatureEncoding.base64(mac)
            }
        }
        return SignatureHeaders(
            keyID: (key.options.keyIDHeader, key.keyID),
            timestamp: (key.options.timestampHeader, timestampText),
            signature: (key.options.signatureHeader, encoded)
        )
    }
}

/// Lower-case hex and padded standard base64, without Foundation on the hot path.
enum SignatureEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index * 2] = hexDigits[Int(byte >> 4)]
                buffer[index * 2 + 1] = hexDigits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    static func base64(_ bytes: UnsafeRawBufferPointer) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(base64Alphabet[Int(b0 >> 2)])
            output.append(base64Alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(index + 1 < bytes.count ? base64Alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? base64Alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
