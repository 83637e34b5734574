import ProxyTestSupport
import Testing
@testable import MCPMessages

/// The one-pass response scan against the `JSONNode` tree it replaces: for generated responses
/// (single messages and batches, errors, results with and without `isError`, nested decoys,
/// escapes, whitespace) both read the same ids and outcomes, and the scan refuses what the tree
/// refuses.
@Suite("response outcome scan")
struct ResponseOutcomeScanTests {
    /// What the tree says: (id as JSON, outcome) per message.
    static func byTree(_ text: String) -> [(String?, String)]? {
        guard let node = JSONNode.parse(Array(text.utf8)) else { return nil }
        guard case .object = node else {
            guard case .array(let items) = node else { return [] }
            return items.compactMap { item -> (String?, String)? in
                guard case .object = item else { return nil }
                return reading(item)
            }
        }
        return [reading(node)]
    }

    static func reading(_ message: JSONNode) -> (String?, String) {
        let id = message["id"]?.serialized
        if let error = message["error"] {
            if case .number(let code)? = error["code"] { return (id, "error \(code)") }
            return (id, "error none")
        }
        if let result = message["result"] {
            if case .bool(true)? = result["isError"] { return (id, "tool") }
            return (id, "result")
        }
        return (id, "none")
    }

    static func byScan(_ text: String) -> [(String?, String)]? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw -> [(String?, String)]? in
            guard let messages = ResponseOutcomeScan.messages(raw) else { return nil }
            return messages.map { message in
                let id = message.id.flatMap { JSONNode.parse(UnsafeRawBufferPointer(rebasing: raw[$0]))?.serialized }
                switch message.outcome {
                case .result: return (id, "result")
                case .toolError: return (id, "tool")
                case .error(let code?): return (id, "error " + String(decoding: UnsafeRawBufferPointer(rebasing: raw[code]), as: UTF8.self))
                case .error(nil): return (id, "error none")
                case .none: return (id, "none")
                }
            }
        }
    }

    static func generate(_ random: inout SeededRandom) -> String {
        func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
        func space() -> String { pick(["", " ", "\n ", "\t"]) }
        func value(_ depth: Int) -> String {
            if depth > 2 { return pick(["1", "-2.5e3", "\"s\\\"x\"", "true", "null"]) }
            return pick([
                "{\(space())\"isError\"\(space()):\(space())true}", "[\(value(depth + 1)),\(value(depth + 1))]",
                "{\"code\":\(value(depth + 1))}", "\"caf\\u00e9 \\\\ }\"", "0", "false",
                "{\"nested\":{\"isError\":true,\"code\":-1}}",
            ])
        }
        func message() -> String {
            var members: [String] = ["\"jsonrpc\":\"2.0\""]
            if random.next() % 4 != 0 { members.append("\"id\":\(space())" + pick(["1", "\"a\\\"b\"", "7.0", "null", "-3"])) }
            switch random.next() % 5 {
            case 0: members.append("\"error\":{\"message\":\"x\",\"code\":\(pick(["-32602", "7", "\"-1\"", "{}"]))}")
            case 1: members.append("\"result\":{\"content\":\(value(0)),\"isError\":\(pick(["true", "false", "\"true\"", "1"]))}")
            case 2: members.append("\"result\":\(value(0))")
            case 3: members.append("\"method\":\"notifications/progress\",\"params\":\(value(0))")
            default: members.append("\"error\":\(value(0))")
            }
            if random.next() % 3 == 0 { members.append("\"extra\":\(value(0))") }
            if random.next() % 2 == 0 { members.shuffle(using: &random) }
            return "{" + members.map { space() + $0 + space() }.joined(separator: ",") + "}"
        }
        switch random.next() % 4 {
        case 0: return "[" + (0..<Int(random.next() % 3 + 1)).map { _ in message() }.joined(separator: ",") + "]"
        case 1: return space() + message() + space()
        case 2:
            // Broken on purpose: both must refuse.
            let whole = message()
            return String(whole.dropLast(Int(random.next() % 3) + 1))
        default: return message()
        }
    }

    @Test("5,000 generated responses: the scan reads what the tree reads, and refuses what it refuses")
    func agreesWithTheTree() {
        var random = SeededRandom(seed: 31)
        for _ in 0..<5_000 {
            let text = Self.generate(&random)
            let tree = Self.byTree(text), scan = Self.byScan(text)
            #expect(tree.map { $0.map { "\($0.0 ?? "-") \($0.1)" } } == scan.map { $0.map { "\($0.0 ?? "-") \($0.1)" } }, "\(text)")
        }
    }
}
