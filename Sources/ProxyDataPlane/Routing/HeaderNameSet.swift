/// A fixed set of header names, matched case-insensitively against raw bytes. Most names a
/// request carries differ in length from every member, so a length bitmask rejects them before
/// any byte is compared.
struct HeaderNameSet: Sendable {
    private let names: [[UInt8]]
    /// Bit n set when some member is n bytes long (names of 64 bytes or more share bit 63).
    private let lengths: UInt64

    init(_ names: [String]) {
        self.names = names.map { Array($0.lowercased().utf8) }
        lengths = self.names.reduce(0) { $0 | 1 << UInt64(min($1.count, 63)) }
    }

    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        guard lengths & 1 << UInt64(min(name.count, 63)) != 0 else { return false }
        return names.contains { member in
            member.count == name.count && member.withUnsafeBufferPointer { ASCII.equalsIgnoringCase(name, lowercaseBytes: $0) }
        }
    }

    func union(_ other: [String]) -> HeaderNameSet {
        HeaderNameSet(names.map { String(decoding: $0, as: UTF8.self) } + other)
    }
}
