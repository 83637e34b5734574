/// What JSON-RPC responses say, read in one pass over their bytes without building a tree: for
/// each message of a body (one object, or a batch's array of them), where its `id` is written,
/// and whether it carries an `error` (with its `code`), a `result` with `isError: true`, or a
/// plain `result`. The audit trail reads every audited call's response this way; a `JSONNode`
/// tree of the same response cost about 10,000 instructions to build and destroy.
package enum ResponseOutcomeScan {
    package struct Message: Equatable {
        /// Where the id's value is written (parse it to compare); nil without one.
        package var id: Range<Int>?
        package var outcome: Outcome
    }

    package enum Outcome: Equatable {
        /// A `result` without `isError: true`.
        case result
        /// `result.isError: true`.
        case toolError
        /// An `error`: its `code` as written (nil when absent or not a number).
        case error(code: Range<Int>?)
        /// Neither: a request or notification, not an answer.
        case none
    }

    /// The messages of `bytes`; nil when they are not well-formed JSON (then nothing is read).
    package static func messages(_ bytes: UnsafeRawBufferPointer) -> [Message]? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        var messages: [Message] = []
        switch scanner.peek() {
        case UInt8(ascii: "{"):
            guard let message = scanner.message() else { return nil }
            messages.append(message)
        case UInt8(ascii: "["):
            scanner.index += 1
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "]") { scanner.index += 1; break }
            while true {
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "{") {
                    guard let message = scanner.message() else { return nil }
                    messages.append(message)
                } else {
                    guard scanner.skipValue(depth: 1) else { return nil }
                }
                guard let next = scanner.next() else { return nil }
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        default:
            guard scanner.skipValue(depth: 0) else { return nil }
        }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? messages : nil
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        /// The next byte after whitespace, consumed.
        mutating func next() -> UInt8? {
            skipWhitespace()
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        /// A message object: its id, and what it answers with.
        mutating func message() -> Message? {
            var message = Message(id: nil, outcome: .none)
            let found = members(depth: 1) { scanner, key, start in
                switch key {
                case "id":
                    guard scanner.skipValue(depth: 2) else { return false }
                    message.id = start..<scanner.index
                case "error":
                    var code: Range<Int>?
                    if scanner.peek() == UInt8(ascii: "{") {
                        guard scanner.members(depth: 2, { scanner, key, start in
                            guard scanner.skipValue(depth: 3) else { return false }
                            let first = scanner.bytes[start]
                            if key == "code", first == UInt8(ascii: "-") || (0x30...0x39).contains(first) {
                                code = start..<scanner.index
                            }
                            return true
                        }) else { return false }
                    } else {
                        guard scanner.skipValue(depth: 2) else { return false }
                    }
                    message.outcome = .error(code: code)
                case "result":
                    var isError = false
                    if scanner.peek() == UInt8(ascii: "{") {
                        guard scanner.members(depth: 2, { scanner, key, start in
                            guard scanner.skipValue(depth: 3) else { return false }
                            if key == "isError" { isError = scanner.index - start == 4 && scanner.bytes[start] == UInt8(ascii: "t") }
                            return true
                        }) else { return false }
                    } else {
                        guard scanner.skipValue(depth: 2) else { return false }
                    }
                    if case .error = message.outcome {} else { message.outcome = isError ? .toolError : .result }
                default:
                    guard scanner.skipValue(depth: 2) else { return false }
                }
                return true
            }
            return found ? message : nil
        }

        /// An object's members: `member` reads (or skips) each value, given its key as a
        /// `StaticString`-comparable text and where the value starts. False: malformed.
        mutating func members(depth: Int, _ member: (inout Scanner, Key, Int) -> Bool) -> Bool {
            guard next() == UInt8(ascii: "{") else { return false }
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { index += 1; return true }
            while true {
                skipWhitespace()
                let keyStart = index + 1
                guard skipString() else { return false }
                let key = Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<(index - 1)]))
                guard next() == UInt8(ascii: ":") else { return false }
                skipWhitespace()
                guard member(&self, key, index) else { return false }
                guard let separator = next() else { return false }
                if separator == UInt8(ascii: "}") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        }

        mutating func skipValue(depth: Int) -> Bool {
            guard depth < JSONNode.maximumDepth else { return false }
            skipWhitespace()
            guard let first = peek() else { return false }
            switch first {
            case UInt8(ascii: "\""): return skipString()
            case UInt8(ascii: "{"): return members(depth: depth + 1) { scanner, _, _ in scanner.skipValue(depth: depth + 1) }
            case UInt8(ascii: "["):
                index += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") { index += 1; return true }
                while true {
                    guard skipValue(depth: depth + 1), let next = next() else { return false }
                    if next == UInt8(ascii: "]") { return true }
                    guard next == UInt8(ascii: ",") else { return false }
                }
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return skipNumber()
            }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func skipNumber() -> Bool {
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > digitsStart, bytes[digitsStart] != UInt8(ascii: "0") || index - digitsStart == 1 else { return false }
            if peek() == UInt8(ascii: ".") {
                index += 1
                let fraction = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard index > fraction else { return false }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard index > exponent else { return false }
            }
            return index > start
        }

        /// A string, escapes and control characters checked (its UTF-8 is not: the outcome never
        /// depends on a string's text, and the body check already refused invalid requests).
        mutating func skipString() -> Bool {
            guard peek() == UInt8(ascii: "\"") else { return false }
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return true }
                if byte < 0x20 { return false }
                index += byte == UInt8(ascii: "\\") ? 2 : 1
            }
            return false
        }
    }

    /// A member's key as written (an escaped key never equals the plain names compared here).
    struct Key {
        let bytes: UnsafeRawBufferPointer

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            guard key.bytes.count == pattern.utf8CodeUnitCount else { return false }
            for offset in 0..<key.bytes.count where key.bytes[offset] != pattern.utf8Start[offset] { return false }
            return true
        }

        static func == (key: Key, pattern: StaticString) -> Bool { pattern ~= key }
    }
}
