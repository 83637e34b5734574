import ProxyLogging
/// A parsed JSON value, enough to read the few fields of an MCP message the proxy acts on (`id`,
/// `method`, `params.name`, `params.uri`, `result.protocolVersion`): the stdio bridge, and the
/// tool policy. Numbers keep their source text, so an `id` is echoed back exactly as written.
/// Strings are fully decoded (escapes, surrogate pairs): `"tools\/call"` is `tools/call`.
package enum JSONNode: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([(String, JSONNode)])

    /// Equal when they serialise alike (numbers compared as written, object members in order),
    /// decided by walking both trees: no string is built, since ids are compared in loops.
    package static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a.elementsEqual(b)
        case (.object(let a), .object(let b)): return a.elementsEqual(b) { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    package subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// A JSON-RPC payload as its messages: a batch's members, or the one message.
    package var jsonRPCMessages: (messages: [JSONNode], isBatch: Bool) {
        if case .array(let items) = self { return (items, true) }
        return ([self], false)
    }

    package var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Compact JSON text: no whitespace, so never a newline.
    package var serialized: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let text): return text
        case .string(let text): return Self.quoted(text)
        case .array(let items): return "[" + items.map(\.serialized).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { Self.quoted($0.0) + ":" + $0.1.serialized }.joined(separator: ",") + "}"
        }
    }

    /// JSON string syntax, the log lines' escaper (quotes, backslashes, control characters).
    package static func quoted(_ text: String) -> String { LogLine.jsonQuoted(text) }

    /// How deep arrays and objects may nest: far past real messages and tool schemas (JSON Schema
    /// documents rarely pass 20 levels), and shallow enough for the recursive parse on an
    /// event-loop thread's stack. `JSONRPCBodyCheck` allows the same.
    package static let maximumDepth = 512

    /// Why bytes are not one JSON text the policy may decide on.
    package enum ParseFailure: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not JSON syntax at this byte offset (including trailing bytes after the value).
        case malformed(at: Int)
        /// A string holds bytes that are not UTF-8, starting at this offset.
        case invalidUTF8(at: Int)
        /// A `\u` escape of half a surrogate pair, at this offset.
        case loneSurrogate(at: Int)
        /// Arrays and objects nest deeper than `maximumDepth`.
        case tooDeep
        /// An object names this key twice (only when duplicates are refused).
        case duplicateKey(String)

        package var description: String {
            switch self {
            case .malformed(let offset): return "is not valid JSON (at byte \(offset))"
            case .invalidUTF8(let offset): return "holds a string that is not UTF-8 (at byte \(offset))"
            case .loneSurrogate(let offset): return "holds a \\u escape of half a surrogate pair (at byte \(offset))"
            case .tooDeep: return "nests deeper than \(JSONNode.maximumDepth) levels"
            case .duplicateKey(let key): return "names the key \(JSONNode.quoted(String(key.prefix(64)))) twice in one object"
            }
        }
    }

    /// Parses one JSON text (RFC 8259); nil when it is not well-formed or nests deeper than
    /// `maximumDepth`. With `rejectingDuplicateKeys`, an object that names a key twice is nil
    /// too: parsers differ on which copy wins, so a policy must not decide on such a message.
    package static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, rejectingDuplicateKeys: Bool = false) -> JSONNode? where Bytes.Index == Int {
        try? parsing(bytes, rejectingDuplicateKeys: rejectingDuplicateKeys).get()
    }

    /// As `parse`, with the reason when the bytes are refused.
    package static func parsing<Bytes: Collection<UInt8>>(_ bytes: Bytes, rejectingDuplicateKeys: Bool = false) -> Result<JSONNode, ParseFailure> where Bytes.Index == Int {
        // Contiguous bytes (an array, a ByteBuffer's view) are read in place, not copied.
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0), rejectingDuplicateKeys) }) { return parsed }
        return Array(bytes).withUnsafeBytes { parse($0, rejectingDuplicateKeys) }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, _ rejectingDuplicateKeys: Bool) -> Result<JSONNode, ParseFailure> {
        var parser = JSONNodeParser(bytes: bytes, rejectsDuplicateKeys: rejectingDuplicateKeys)
        guard let value = parser.value(depth: 0) else { return .failure(parser.failure ?? .malformed(at: parser.index)) }
        parser.skipWhitespace()
        return parser.index == parser.bytes.count ? .success(value) : .failure(.malformed(at: parser.index))
    }
}

private struct JSONNodeParser {
    package let bytes: UnsafeRawBufferPointer
    package let rejectsDuplicateKeys: Bool
    package var index = 0
    /// Set where the parse fails for a reason other than syntax (a syntax error is at `index`).
    package var failure: JSONNode.ParseFailure?

    package mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    package mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
        index += count
        return true
    }

    package mutating func value(depth: Int) -> JSONNode? {
        guard depth < JSONNode.maximumDepth else {
            failure = .tooDeep
            return nil
        }
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            // Room for a small object at once: growing from empty took three allocations for the
            // three or four members of a typical JSON-RPC object (about 1,000 instructions per
            // tools/call under a tool policy).
            var members: [(String, JSONNode)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            members.reserveCapacity(4)
            while true {
                skipWhitespace()
                guard let key = string() else { return nil }
                if rejectsDuplicateKeys, members.contains(where: { $0.0 == key }) {
                    failure = .duplicateKey(key)
                    return nil
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1) else { return nil }
                members.append((key, member))
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { return nil }
                index += 1
                return .object(members)
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONNode] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            items.reserveCapacity(4)
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "]") else { return nil }
                index += 1
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return string().map(JSONNode.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number()
        }
    }

    package mutating func number() -> JSONNode? {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else if digits() == 0 { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return nil }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return nil }
        }
        return .number(Self.ascii(UnsafeRawBufferPointer(rebasing: bytes[start..<index])))
    }

    package mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        // Most strings have no escape: one validation of the bytes as they stand.
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\\") {
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return text(start..<index)
            }
            if bytes[index] < 0x20 { return nil }
            index += 1
        }
        // An escape: decode from here on, the bytes before it taken as one run.
        var scalars = String.UnicodeScalarView()
        var run = start
        func flush(_ end: Int) -> Bool {
            guard run < end else { return true }
            guard let text = text(run..<end) else { return false }
            scalars.append(contentsOf: text.unicodeScalars)
            return true
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard flush(index) else { return nil }
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { return nil }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            guard flush(index), index + 1 < bytes.count else { return nil }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard var unit = hex4() else { return nil }
                let escapeStart = index - 6
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        failure = .loneSurrogate(at: escapeStart)
                        return nil
                    }
                    index += 2
                    guard let low = hex4() else { return nil }
                    guard (0xDC00...0xDFFF).contains(low) else {
                        failure = .loneSurrogate(at: escapeStart)
                        return nil
                    }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(unit) else {
                    failure = .loneSurrogate(at: escapeStart)
                    return nil
                }
                scalars.append(scalar)
            default: return nil
            }
            run = index
        }
        return nil
    }

    /// UTF-8 bytes as a String; nil when they are not valid UTF-8. ASCII, the usual case for the
    /// fields the proxy reads, skips the generic validator, whose metadata lookups cost more per
    /// request than the rest of the parse.
    package mutating func text(_ range: Range<Int>) -> String? {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        if raw.allSatisfy({ $0 < 0x80 }) { return Self.ascii(raw) }
        let slice = raw.assumingMemoryBound(to: UInt8.self)
        guard let text = String(validating: slice, as: UTF8.self) else {
            failure = .invalidUTF8(at: range.lowerBound)
            return nil
        }
        return text
    }

    /// Bytes known to be ASCII, copied into a new String as they are. `String(decoding:as:)` asks
    /// the runtime at every call whether its argument has contiguous bytes (a protocol
    /// conformance lookup of about 1,500 instructions, more than the parse of a small message).
    static func ascii(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            guard let base = bytes.baseAddress, let target = buffer.baseAddress else { return 0 }
            target.initialize(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            return bytes.count
        }
    }

    package mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
