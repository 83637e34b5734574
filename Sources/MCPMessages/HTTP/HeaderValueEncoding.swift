/// The value encoding SEP-2243 gives `Mcp-Method` and `Mcp-Name`: printable ASCII without
/// leading or trailing whitespace goes as it is; anything else — non-ASCII, control characters,
/// edge whitespace, or text that itself looks like the sentinel — as `=?base64?<UTF-8, base64>?=`.
/// So a header never carries a raw CR or LF, whatever a tool is called.
package enum HeaderValueEncoding {
    package static func encode(_ value: String) -> String {
        let bytes = Array(value.utf8)
        let printable = bytes.allSatisfy { (0x20...0x7E).contains($0) }
        let edgeSpace = bytes.first == 0x20 || bytes.last == 0x20
        let looksEncoded = value.hasPrefix("=?base64?") && value.hasSuffix("?=")
        if printable, !edgeSpace, !looksEncoded, !bytes.isEmpty { return value }
        return "=?base64?" + base64(bytes) + "?="
    }

    package static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(group >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let group = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A header value in SEP-2243's encoding: as is, or `=?base64?…?=` around UTF-8 in base64.
    /// The inverse of `encode`; nil for a malformed sentinel.
    package static func decode(_ value: String?) -> String? {
        guard let value else { return nil }
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.utf8.count >= 11 else { return value }
        let payload = value.utf8.dropFirst(9).dropLast(2)
        guard let bytes = base64Decode(Array(payload)) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    package static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        func value(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): 62
            case UInt8(ascii: "/"): 63
            default: nil
            }
        }
        var out: [UInt8] = []
        var index = 0
        while index < text.count {
            let quad = text[index..<(index + 4)]
            let padding = quad.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, index + 4 == text.count || padding == 0 else { return nil }
            var group: UInt32 = 0
            for (offset, byte) in quad.enumerated() {
                if offset >= 4 - padding { group <<= 6; continue }
                guard let digit = value(byte) else { return nil }
                group = group << 6 | digit
            }
            out.append(UInt8(group >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(group >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(group & 0xFF)) }
            index += 4
        }
        return out
    }
}
