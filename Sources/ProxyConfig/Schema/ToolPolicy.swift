/// Which tools a profile may call (`tools: {allow: […], deny: […]}`): with `allow`, only tools
/// matching one of its patterns; `deny` applies after `allow` and wins. Patterns are globs with
/// `*` (any run of characters, also none) and `?` (exactly one character), compared
/// case-sensitively on Unicode scalars, as tool names are (MCP names are case-sensitive).
package struct ToolPolicy: Sendable, Hashable {
    package let allow: [String]?
    package let deny: [String]

    package init(allow: [String]?, deny: [String]) {
        self.allow = allow
        self.deny = deny
    }

    package func allows(_ tool: String) -> Bool {
        if let allow, !allow.contains(where: { Self.glob($0, matches: tool) }) { return false }
        return !deny.contains { Self.glob($0, matches: tool) }
    }

    /// Iterative glob matching with backtracking to the last `*`: linear in practice, and no
    /// pattern can make it exponential. `?` is one Unicode scalar; ASCII names and patterns (the
    /// usual case) are matched on their UTF-8 bytes in place, with nothing allocated.
    package static func glob(_ pattern: String, matches name: String) -> Bool {
        var pattern = pattern, name = name
        if pattern.utf8.allSatisfy({ $0 < 0x80 }), name.utf8.allSatisfy({ $0 < 0x80 }) {
            return pattern.withUTF8 { pattern in
                name.withUTF8 { name in match(pattern, name, anyRun: UInt8(ascii: "*"), anyOne: UInt8(ascii: "?")) }
            }
        }
        return match(Array(pattern.unicodeScalars), Array(name.unicodeScalars), anyRun: "*", anyOne: "?")
    }

    private static func match<Text: RandomAccessCollection>(
        _ pattern: Text, _ name: Text, anyRun: Text.Element, anyOne: Text.Element
    ) -> Bool where Text.Element: Equatable, Text.Index == Int {
        var p = 0, n = 0
        var star: Int?, resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == anyOne || (pattern[p] != anyRun && pattern[p] == name[n]) {
                p += 1
                n += 1
            } else if p < pattern.count, pattern[p] == anyRun {
                star = p
                resume = n
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == anyRun { p += 1 }
        return p == pattern.count
    }
}
