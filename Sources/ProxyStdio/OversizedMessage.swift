import MCPMessages
import ProxyDataPlane

/// The id of a stdin message too long to read whole, from its first bytes, so that its error
/// response reaches the request that waits for it (a client matches responses by id; one with
/// `id: null` answers nothing). Only a top-level `"id"` member whose string or number value ends
/// within those bytes counts; anything else, a batch included, gives nil.
enum OversizedMessage {
    /// How much of an oversized line is kept to look for its id.
    static let prefixBytes = 4096

    static func id(in prefix: [UInt8]) -> JSONNode? {
        var scanner = Scanner(bytes: prefix)
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        while true {
            guard let keyRange = scanner.stringRange(), scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            let valueStart = scanner.index
            guard scanner.skipValue() else { return nil }
            // A number is complete only once a delimiter follows it.
            guard scanner.index < prefix.count else { return nil }
            if JSONNode.parse(prefix[keyRange])?.string == "id" {
                let value = JSONNode.parse(prefix[valueStart..<scanner.index])
                switch value {
                case .string?, .number?: return value
                default: return nil
                }
            }
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A whole string, quotes included; nil when it does not end within the bytes.
        mutating func stringRange() -> Range<Int>? {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return start..<index
                default: index += 1
                }
            }
            return nil
        }

        /// Skips one value (nested ones by counting brackets outside strings); false when it
        /// does not end within the bytes.
        mutating func skipValue() -> Bool {
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: "\"") { return stringRange() != nil }
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard stringRange() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return true }
                    depth -= 1
                    if depth == 0 { index += 1; return true }
                case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                    if depth == 0 { return true }
                default: break
                }
                index += 1
            }
            return false
        }
    }
}
