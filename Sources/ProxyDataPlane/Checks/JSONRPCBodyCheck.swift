#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The verdict on a POST body before it may be forwarded.
package enum JSONRPCBodyVerdict: Equatable, Sendable {
    /// A JSON-RPC object or a non-empty batch; `method` is the top-level object's method, for logs.
    case valid(method: String?)
    /// Not well-formed JSON: JSON-RPC error -32700.
    case parseError
    /// Well-formed JSON that is not a JSON-RPC message or batch: JSON-RPC error -32600.
    case invalidRequest
}

/// One allocation-free pass over the body: checks that it is well-formed JSON (RFC 8259, nesting
/// bounded), that the top level is an object or a non-empty array of objects each carrying
/// `"jsonrpc":"2.0"`, and picks out the `method` of a single message for the request log.
package struct JSONRPCBodyCheck {
    /// The same bound as `JSONNode.maximumDepth` (a test holds them equal), written as a literal:
    /// a static initialised from another type's static is read through a lazy-init check at
    /// every nesting level of every body, which cost about 1% of a request's instructions.
    package static let maximumDepth = 512

    package static func check(_ body: UnsafeRawBufferPointer) -> JSONRPCBodyVerdict {
        var scanner = Scanner(bytes: body)
        scanner.skipWhitespace()
        guard let first = scanner.peek() else { return .parseError }
        var verdict = JSONRPCBodyVerdict.invalidRequest
        if first == UInt8(ascii: "{") {
            guard let message = scanner.message() else { return .parseError }
            if message.isJSONRPC { verdict = .valid(method: message.method) }
        } else if first == UInt8(ascii: "[") {
            guard let batchValid = scanner.batch() else { return .parseError }
            if batchValid { verdict = .valid(method: nil) }
        } else {
            guard scanner.value(depth: 0) else { return .parseError }
        }
        scanner.skipWhitespace()
        return scanner.atEnd ? verdict : .parseError
    }
}

private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        // Positions are locals, stored back once: as `self.index` they were written to memory at
        // every byte (here and in `string`).
        var position = index
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position &+= 1
            default: index = position; return
            }
        }
        index = position
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    struct Message {
        var isJSONRPC = false
        var method: String?
    }

    /// An object at the top level or in a batch, noting `jsonrpc` and `method`. Nil: malformed.
    mutating func message() -> Message? {
        guard expect(UInt8(ascii: "{")) else { return nil }
        var message = Message()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return message }
        while true {
            skipWhitespace()
            guard let key = string() else { return nil }
            guard expect(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            let valueStart = index
            let isString = peek() == UInt8(ascii: "\"")
            guard value(depth: 1) else { return nil }
            if isString, let keyRange = key {
                let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[keyRange])
                let raw = UnsafeRawBufferPointer(rebasing: bytes[(valueStart + 1)..<(index - 1)])
                if Self.equals(keyBytes, "jsonrpc") { message.isJSONRPC = Self.equals(raw, "2.0") }
                if Self.equals(keyBytes, "method"), !raw.contains(UInt8(ascii: "\\")) { message.method = String(decoding: raw, as: UTF8.self) }
            }
            skipWhitespace()
            guard let next = peek() else { return nil }
            index += 1
            if next == UInt8(ascii: "}") { return message }
            guard next == UInt8(ascii: ",") else { return nil }
        }
    }

    /// A batch: nil when malformed, false when well-formed but not a non-empty list of messages.
    mutating func batch() -> Bool? {
        guard expect(UInt8(ascii: "[")) else { return nil }
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return false }
        var allMessages = true
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "{") {
                guard let message = message() else { return nil }
                allMessages = allMessages && message.isJSONRPC
            } else {
                guard value(depth: 1) else { return nil }
                allMessages = false
            }
            skipWhitespace()
            guard let next = peek() else { return nil }
            index += 1
            if next == UInt8(ascii: "]") { return allMessages }
            guard next == UInt8(ascii: ",") else { return nil }
        }
    }

    /// Whether `bytes` are exactly `literal`'s.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount && (bytes.isEmpty || memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0)
    }

    /// A string; returns where its text is only for escape-free ones (all the check needs of
    /// keys), so no `String` is made per key or value. Outer nil: malformed.
    mutating func string() -> Range<Int>?? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let count = bytes.count
        let start = index &+ 1
        var position = start
        var escaped = false
        while position < count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                index = position &+ 1
                return escaped ? .some(nil) : .some(start..<position)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                position &+= 1
                guard position < count else { return nil }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position &+= 1
                case UInt8(ascii: "u"):
                    guard position &+ 4 < count else { return nil }
                    for offset in 1...4 where !bytes[position &+ offset].isHexDigit { return nil }
                    position &+= 5
                default: return nil
                }
                continue
            }
            guard byte >= 0x20 else { return nil }
            position &+= 1
        }
        return nil
    }

    mutating func value(depth: Int) -> Bool {
        guard depth <= JSONRPCBodyCheck.maximumDepth else { return false }
        skipWhitespace()
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), keyed: true, depth: depth)
        case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), keyed: false, depth: depth)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    mutating func container(close: UInt8, keyed: Bool, depth: Int) -> Bool {
        index += 1
        skipWhitespace()
        if peek() == close { index += 1; return true }
        while true {
            if keyed {
                skipWhitespace()
                guard string() != nil, expect(UInt8(ascii: ":")) else { return false }
            }
            guard value(depth: depth + 1) else { return false }
            skipWhitespace()
            guard let next = peek() else { return false }
            index += 1
            if next == close { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = Self.equals(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]), word)
        index += count
        return matches
    }

    mutating func number() -> Bool {
        func digits() -> Int {
            let start = index
            while let byte = peek(), byte >= 0x30, byte <= 0x39 { index += 1 }
            return index - start
        }
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return true
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66)
    }
}
