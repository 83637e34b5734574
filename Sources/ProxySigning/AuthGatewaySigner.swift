import ProxyConfig
import ProxyLogging

/// The `auth-gateway` scheme: HMAC over `METHOD "\n" TARGET "\n" TIMESTAMP`, sent as key id,
/// timestamp and signature headers. See docs/signing.md for the contract and test vectors.
package struct AuthGatewaySigner: RequestSigner {
    package init() {}

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                     into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        let timestamp = UInt64(max(0, key.options.timestampUnit == .unixSeconds ? unixMilliseconds / 1000 : unixMilliseconds))
        let timestampDigits = DecimalDigits.count(timestamp)
        // The canonical string is assembled in scratch space, the timestamp's digits written into
        // it (its header value is that part of the string), and the MAC encoded into scratch
        // space straight from the digest: nothing is allocated per request.
        let length = method.utf8.count + target.utf8.count + timestampDigits + 2
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { message in
            var offset = message.initialize(fromContentsOf: method.utf8)
            message[offset] = 0x0A
            offset = message[(offset + 1)...].initialize(fromContentsOf: target.utf8)
            message[offset] = 0x0A
            let timestampText = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: message[(offset + 1)...]))
            DecimalDigits.write(timestamp, digits: timestampDigits, at: message.baseAddress! + offset + 1)
            key.authenticationCode(for: UnsafeRawBufferPointer(message)) { mac in
                let encodedLength = key.options.encoding == .hex ? mac.count * 2 : (mac.count + 2) / 3 * 4
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: encodedLength) { encoded in
                    if key.options.encoding == .hex {
                        SignatureEncoding.hex(mac, into: encoded)
                    } else {
                        SignatureEncoding.base64(mac, into: encoded)
                    }
                    key.keyID.withBytes { field(key.options.keyIDHeader, $0) }
                    field(key.options.timestampHeader, timestampText)
                    field(key.options.signatureHeader, UnsafeRawBufferPointer(encoded))
                }
            }
        }
    }
}

/// Lower-case hex and padded standard base64, without Foundation on the hot path.
enum SignatureEncoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Writes `bytes.count * 2` digits (by arithmetic, not a table: no lookup through a global
    /// array per digit).
    static func hex(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) {
        precondition(output.count >= bytes.count * 2)
        @inline(__always) func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 &+ nibble : 87 &+ nibble }
        for index in 0..<bytes.count {
            let byte = bytes[index]
            output[index &* 2] = digit(byte >> 4)
            output[index &* 2 &+ 1] = digit(byte & 0x0F)
        }
    }

    /// Writes `(bytes.count + 2) / 3 * 4` characters, padded.
    static func base64(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) {
        var index = 0
        var out = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output[out] = base64Alphabet[Int(b0 >> 2)]
            output[out + 1] = base64Alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
            output[out + 2] = index + 1 < bytes.count ? base64Alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "=")
            output[out + 3] = index + 2 < bytes.count ? base64Alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "=")
            index += 3
            out += 4
        }
    }
}
