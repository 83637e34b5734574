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

    @inline(__always)
    static func equalsIgnoringCase(_ text: String, _ lowercase: String) -> Bool {
        equalsIgnoringCase(Substring(text).utf8, lowercase)
    }

    /// True when any of the lower-case `names` equals `text` ignoring case.
    static func isAny(_ text: String, of names: [String]) -> Bool {
        names.contains { equalsIgnoringCase(text, $0) }
    }
}
