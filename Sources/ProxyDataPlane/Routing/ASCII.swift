/// Byte-level helpers for the hot path: HTTP names and the values checked per request are ASCII,
/// so comparing bytes avoids `lowercased()` copies and Unicode-aware String operations.
enum ASCII {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Case-insensitive equality of `text` with an already lower-case `lowercase`.
    @inline(__always)
    static func equalsIgnoringCase(_ text: Substring.UTF8View, _ lowercase: Substring.UTF8View) -> Bool {
        text.count == lowercase.count && zip(text, lowercase).allSatisfy { lower($0) == $1 }
    }

    @inline(__always)
    static func equalsIgnoringCase(_ text: Substring.UTF8View, _ lowercase: String) -> Bool {
        equalsIgnoringCase(text, Substring(lowercase).utf8)
    }
}

/// The same comparisons on raw bytes, for heads that are never decoded into strings.
extension ASCII {
    /// Case-insensitive equality of `bytes` with already lower-case `expected` bytes: the one
    /// comparison loop the overloads below and `HeaderNameSet` share.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, lowercaseBytes expected: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == expected.count else { return false }
        for offset in 0..<bytes.count where lower(bytes[offset]) != expected[offset] { return false }
        return true
    }

    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        equalsIgnoringCase(bytes, lowercaseBytes: UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount))
    }

    /// For a name known only at run time; a literal goes to the `StaticString` overload, which
    /// copies nothing (with one unlabelled `String` overload, literals went here instead).
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, lowercased lowercase: String) -> Bool {
        guard bytes.count == lowercase.utf8.count else { return false }
        var lowercase = lowercase
        return lowercase.withUTF8 { equalsIgnoringCase(bytes, lowercaseBytes: $0) }
    }

    static func hasPrefixIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        bytes.count >= lowercase.utf8CodeUnitCount
            && equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes[0..<lowercase.utf8CodeUnitCount]), lowercase)
    }

    /// Exact prefix test against a literal, byte for byte: `starts(with: "…".utf8)` on a raw
    /// buffer goes through `String.UTF8View`'s generic iterator, about 300 instructions a call.
    @inline(__always)
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        for offset in 0..<count where bytes[offset] != literal.utf8Start[offset] { return false }
        return true
    }

    /// A non-negative decimal of at most 18 digits, or nil.
    static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Calls `body` with each comma-separated token, trimmed of spaces and tabs, skipping empty ones.
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var lower = start, upper = end
            while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
            while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
            if upper > lower { body(UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])) }
            start = end + 1
        }
    }
}
