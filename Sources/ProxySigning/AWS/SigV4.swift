import Crypto
import ProxyLogging

/// AWS Signature Version 4, as AWS specifies it: the canonical request, the string to sign, the
/// derived signing key and the signature. Pure functions of their inputs, so the published
/// test-suite vectors reproduce them byte for byte (`Tests/ProxySigningTests/SigV4Tests`).
package enum SigV4 {
    package static let algorithm = "AWS4-HMAC-SHA256"

    /// `x-amz-date`'s form, `yyyyMMdd'T'HHmmss'Z'`, of a Unix time (UTC).
    package static func amzDate(unixSeconds: Int64) -> String {
        String(decoding: amzDateBytes(unixSeconds: unixSeconds), as: UTF8.self)
    }

    /// `amzDate`'s bytes, without a `String` on the request path.
    package static func amzDateBytes(unixSeconds: Int64) -> [UInt8] {
        let (days, seconds) = LogClock.daysAndSeconds(unixSeconds: unixSeconds)
        let (year, month, day) = LogClock.civilDate(daysSinceEpoch: days)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: 16)
        func put(_ value: Int64, at index: Int, digits: Int) {
            var value = value
            for offset in stride(from: digits - 1, through: 0, by: -1) {
                out[index + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(month, at: 4, digits: 2)
        put(day, at: 6, digits: 2)
        out[8] = UInt8(ascii: "T")
        put(seconds / 3600, at: 9, digits: 2)
        put(seconds / 60 % 60, at: 11, digits: 2)
        put(seconds % 60, at: 13, digits: 2)
        out[15] = UInt8(ascii: "Z")
        return out
    }

    // The fixed pieces of the proxy's canonical request, string to sign and Authorization value.
    static let contentHashPrefix = Array("x-amz-content-sha256:".utf8)
    static let datePrefix = Array("\nx-amz-date:".utf8)
    static let tokenPrefix = Array("x-amz-security-token:".utf8)
    static let signedHeaders = Array("host;x-amz-content-sha256;x-amz-date".utf8)
    static let signedHeadersWithToken = Array("host;x-amz-content-sha256;x-amz-date;x-amz-security-token".utf8)
    static let algorithmLine = Array("AWS4-HMAC-SHA256\n".utf8)
    static let credentialPrefix = Array("AWS4-HMAC-SHA256 Credential=".utf8)
    static let signedHeadersPrefix = Array(", SignedHeaders=".utf8)
    static let signaturePrefix = Array(", Signature=".utf8)

    /// The canonical URI, a line end, the canonical query and a line end, for a request target.
    /// A path of unreserved bytes and single slashes with no dot segment, and no query — every MCP
    /// endpoint the proxy has met — is its own canonical URI: appended as it is, nothing built.
    static func appendCanonicalTarget(_ target: String, to out: inout [UInt8]) {
        var plain = target.utf8.first == UInt8(ascii: "/")
        var length = 0
        var allDots = true
        var index = 0
        for byte in target.utf8 where plain {
            if byte == UInt8(ascii: "/") {
                // An empty segment (`//`) or a dot segment: normalised away, so not plain.
                if index > 0, length == 0 || (allDots && length <= 2) { plain = false }
                length = 0
                allDots = true
            } else if isUnreserved(byte) {
                length += 1
                if byte != UInt8(ascii: ".") { allDots = false }
            } else {
                plain = false
            }
            index += 1
        }
        if plain, length > 0, allDots, length <= 2 { plain = false }
        if plain {
            out += target.utf8
            out += [0x0A, 0x0A]
            return
        }
        let mark = target.firstIndex(of: "?")
        let path = target[..<(mark ?? target.endIndex)]
        let query = mark.map { target[target.index(after: $0)...] } ?? ""
        out += canonicalURI(path).utf8
        out.append(0x0A)
        out += canonicalQuery(query).utf8
        out.append(0x0A)
    }

    static func hexSHA256Bytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        SHA256.digest(bytes).withUnsafeBytes { appendHex($0, to: &out) }
        return out
    }

    static func appendHex(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bytes.count * 2))
        out.withUnsafeMutableBufferPointer { buffer in
            SignatureEncoding.hex(bytes, into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// The credential scope: `20150830/us-east-1/service/aws4_request`.
    package static func scope(day: Substring, region: String, service: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// The canonical URI of a path as sent: dot segments and empty segments removed (the rule for
    /// every service but S3), then each byte outside the unreserved set and `/` percent-encoded.
    /// A path sent percent-encoded is encoded once more, as AWS asks of non-S3 services.
    package static func canonicalURI(_ path: Substring) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
            } else {
                segments.append(segment)
            }
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/"), !segments.isEmpty { normalized += "/" }
        return percentEncoded(normalized.utf8, keepingSlash: true)
    }

    /// The canonical query: each name and value decoded from the form sent and encoded the AWS
    /// way, sorted by name and then by value; `name` without `=` has an empty value.
    package static func canonicalQuery(_ query: Substring) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let name = pair[..<(equals ?? pair.endIndex)]
            let value = equals.map { pair[pair.index(after: $0)...] } ?? ""
            pairs.append((percentEncoded(percentDecoded(name), keepingSlash: false), percentEncoded(percentDecoded(value), keepingSlash: false)))
        }
        pairs.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) || ($0.0 == $1.0 && $0.1.utf8.lexicographicallyPrecedes($1.1.utf8)) }
        return pairs.map { $0.0 + "=" + $0.1 }.joined(separator: "&")
    }

    /// The canonical request of `method target` with `headers` (names lower case, values as
    /// sent) signed, and the `SignedHeaders` list.
    package static func canonicalRequest(method: String, target: String, headers: [(name: String, value: String)],
                                         payloadHash: String) -> (bytes: [UInt8], signedHeaders: String) {
        let mark = target.firstIndex(of: "?")
        let path = target[..<(mark ?? target.endIndex)]
        let query = mark.map { target[target.index(after: $0)...] } ?? ""
        let sorted = headers.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var text = method + "\n" + canonicalURI(path) + "\n" + canonicalQuery(query) + "\n"
        for header in sorted { text += header.name + ":" + trimmed(header.value) + "\n" }
        let signedHeaders = sorted.map(\.name).joined(separator: ";")
        text += "\n" + signedHeaders + "\n" + payloadHash
        return (Array(text.utf8), signedHeaders)
    }

    /// The string to sign: algorithm, time, scope and the canonical request's SHA-256 in hex.
    package static func stringToSign(amzDate: String, scope: String, canonicalRequest: [UInt8]) -> [UInt8] {
        Array((algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256(canonicalRequest)).utf8)
    }

    /// The signing key of one day, region and service: HMAC-SHA256 chained from `AWS4` + secret
    /// through the date, region, service and `aws4_request`, ready keyed for the signatures.
    package static func signingKey(secret: [UInt8], day: Substring, region: String, service: String) -> PreparedHMAC<SHA256> {
        var key = Array("AWS4".utf8) + secret
        for part in [String(day), region, service, "aws4_request"] {
            key = Array(part.utf8).withUnsafeBytes { message in PreparedHMAC<SHA256>(key: key).authenticationCode(for: message) { Array($0) } }
        }
        return PreparedHMAC(key: key)
    }

    /// The signature: the signing key's HMAC of the string to sign, lower-case hex.
    package static func signature(of stringToSign: [UInt8], key: PreparedHMAC<SHA256>) -> String {
        stringToSign.withUnsafeBytes { key.authenticationCode(for: $0, hex) }
    }

    package static func hexSHA256(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: hexSHA256Bytes(bytes), as: UTF8.self)
    }

    package static func hexSHA256(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hexSHA256($0) }
    }

    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            SignatureEncoding.hex(bytes, into: buffer)
            return bytes.count * 2
        }
    }

    /// Header values as AWS canonicalises them: outer spaces trimmed, inner runs made one space.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func percentEncoded(_ bytes: some Sequence<UInt8>, keepingSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `%XX` sequences decoded; anything else (a lone `%`, `+`) kept as it is.
    static func percentDecoded(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
