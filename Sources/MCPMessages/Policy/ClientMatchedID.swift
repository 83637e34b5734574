/// A JSON-RPC id as MCP clients compare a response's id with their requests'. Not only as
/// written: the TypeScript SDK looks a response up by `Number(id)`, so `7.0`, `"7"`, `" 7 "` and
/// `"0x7"` all answer a request `7`; the Python SDK validates ids into `str | int` and compares
/// with `==`, so `7.0` and `true` answer `7` and `1`. The tool-list filter treats a response as
/// the answer to an awaited request when any of these readings says so, since filtering one
/// message too many removes nothing but refused tools, and one too few shows them.
package struct ClientMatchedID {
    package let node: JSONNode
    /// The number a client may read the id as; nil when none would (other strings, null).
    package let number: Double?

    package init(_ node: JSONNode) {
        self.node = node
        switch node {
        case .number(let text): number = Double(text)
        case .string(let text): number = Self.javaScriptNumber(text)
        case .bool(let value): number = value ? 1 : 0
        default: number = nil
        }
    }

    package func answers(_ request: ClientMatchedID) -> Bool {
        if node == request.node { return true }
        guard let number, let other = request.number else { return false }
        return number == other
    }

    /// `Number(text)` as JavaScript reads a string: trimmed, empty is 0, `0x`/`0o`/`0b` integers,
    /// decimal literals and `Infinity`. Swift's `Double(_:)` also takes a few forms JavaScript
    /// does not (`inf`, hexadecimal floats); matching those as well only errs toward filtering.
    package static func javaScriptNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingJavaScriptWhitespace()
        if trimmed.isEmpty { return 0 }
        let lower = trimmed.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            return UInt64(lower.dropFirst(2), radix: radix).map { Double($0) }
        }
        return Double(trimmed)
    }
}

private extension String {
    /// Without the leading and trailing characters JavaScript's `Number()` ignores (its
    /// WhiteSpace and LineTerminator productions).
    func trimmingJavaScriptWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { character in
            character.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isWhitespace || scalar.value == 0xFEFF
            }
        }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
