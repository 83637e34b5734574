@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The tool policy read against an independent JSON parser (Foundation's, standing in for the
/// server's) on thousands of generated and mutated bodies: whatever the bytes, a call that the
/// server would read as a refused tool is never forwarded, and a `tools/list` response never
/// reaches the client with a refused tool in it. The generator aims at the places where two
/// parsers can disagree: escapes in keys and values, surrogate pairs, duplicate keys, batches,
/// whitespace, nesting, and random byte edits. Seeded, so that a failure names its case.
@Suite("tool policy against an independent parser")
struct ToolPolicyRobustnessTests {
    static let policy = ToolPolicy(allow: nil, deny: ["*delete*"])
    static let cases = 4_000

    @Test("no body that the server would read as a refused tools/call is forwarded")
    func noCallGetsThrough() throws {
        var random = SeededRandom(seed: 0x5EED_0017)
        let head = try Self.postHead()
        var refusedByServerReading = 0
        for index in 0..<Self.cases {
            let body = Self.mutated(Self.callBody(&random), &random)
            guard Self.serverSeesRefusedCall(body) else { continue }
            refusedByServerReading += 1
            let checked = body.withUnsafeBytes { JSONRPCBodyCheck.check($0) }
            guard case .valid = checked else { continue }  // answered 400 before the policy
            let verdict = ToolCallCheck.verdict(body: ByteBuffer(bytes: body), head: head, policy: Self.policy)
            if case .forward = verdict {
                Issue.record("case \(index) forwarded: \(String(decoding: body, as: UTF8.self).debugDescription)")
            }
        }
        #expect(refusedByServerReading > Self.cases / 4, "the generator reaches refused calls often enough to mean something")
    }

    @Test("no tools/list response that the client would read with a refused tool passes the filter")
    func noListLeaks() throws {
        var random = SeededRandom(seed: 0x5EED_0018)
        let request = try #require(JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#.utf8)))
        var leakingIfUnfiltered = 0
        for index in 0..<Self.cases {
            let body = Self.mutated(Self.listBody(&random), &random)
            guard Self.clientSeesRefusedTool(body) else { continue }
            leakingIfUnfiltered += 1
            var filter = try #require(ToolListFilter(request: request, policy: Self.policy))
            // The listener's reading: unparseable (or a key named twice) becomes an error answer.
            guard let message = JSONNode.parse(body, rejectingDuplicateKeys: true) else { continue }
            let passed = filter.filter(message).map { Array($0.serialized.utf8) } ?? body
            if Self.clientSeesRefusedTool(passed) {
                Issue.record("case \(index) leaked: \(String(decoding: body, as: UTF8.self).debugDescription)")
            }
        }
        #expect(leakingIfUnfiltered > Self.cases / 4)
    }

    // MARK: - The independent reading

    static func messages(_ bytes: [UInt8]) -> [[String: Any]] { ClientReading.messages(bytes) }

    static func serverSeesRefusedCall(_ bytes: [UInt8]) -> Bool {
        messages(bytes).contains { message in
            guard message["method"] as? String == "tools/call", let name = (message["params"] as? [String: Any])?["name"] as? String else { return false }
            return !policy.allows(name)
        }
    }

    static func clientSeesRefusedTool(_ bytes: [UInt8]) -> Bool {
        ClientReading.showsRefusedTool(bytes) { !policy.allows($0) }
    }

    // MARK: - Generation

    static let refusedNames = ["delete_note", "hard_delete", "delete", "x_delete_😀", "delete\u{0}x"]
    static let allowedNames = ["search", "get_issue", "dele te", "DELETE_ALL", "delet"]

    static func callBody(_ random: inout SeededRandom) -> [UInt8] {
        let name = random.pick(random.chance(3, in: 4) ? refusedNames : allowedNames)
        var members = [
            (key: "jsonrpc", value: quoted("2.0", &random)),
            (key: "id", value: random.chance(1, in: 2) ? "\(random.next(1000))" : quoted("r\(random.next(99))", &random)),
            (key: "method", value: quoted("tools/call", &random)),
            (key: "params", value: object([("name", quoted(name, &random)), ("arguments", "{}")], &random)),
        ]
        if random.chance(1, in: 5) {
            // A second `name` or `method` that some parsers would read instead of the first.
            let decoy = (key: random.chance(1, in: 2) ? "method" : "params", value: random.chance(1, in: 2) ? quoted("ping", &random) : object([("name", quoted("search", &random))], &random))
            members.insert(decoy, at: random.next(members.count + 1))
        }
        members.shuffle(using: &random)
        let message = object(members.map { ($0.key, $0.value) }, &random)
        guard random.chance(1, in: 4) else { return Array(message.utf8) }
        let other = object([("jsonrpc", "\"2.0\""), ("id", "99"), ("method", "\"ping\"")], &random)
        return Array((random.chance(1, in: 2) ? "[\(other),\(message)]" : "[\(message)]").utf8)
    }

    static func listBody(_ random: inout SeededRandom) -> [UInt8] {
        let tools = (0..<(1 + random.next(4))).map { _ in
            object([("name", quoted(random.pick(random.chance(1, in: 2) ? refusedNames : allowedNames), &random)), ("inputSchema", "{\"type\":\"object\"}")], &random)
        }
        let result = object([("tools", "[" + tools.joined(separator: ",") + "]")] + (random.chance(1, in: 3) ? [("nextCursor", quoted("c1", &random))] : []), &random)
        let id = random.chance(1, in: 2) ? "7" : random.pick(["7.0", "7e0", "70e-1", quoted("7", &random), quoted(" 7", &random), quoted("0x7", &random), "8", quoted("seven", &random)])
        let message = object([("jsonrpc", quoted("2.0", &random)), ("id", id), ("result", result)], &random)
        return Array((random.chance(1, in: 5) ? "[\(message)]" : message).utf8)
    }

    /// A JSON object with members in the given order, keys escaped like values.
    static func object(_ members: [(String, String)], _ random: inout SeededRandom) -> String {
        "{" + members.map { space(&random) + quoted($0.0, &random) + space(&random) + ":" + space(&random) + $0.1 + space(&random) }.joined(separator: ",") + "}"
    }

    static func space(_ random: inout SeededRandom) -> String {
        random.chance(1, in: 4) ? random.pick([" ", "\n", "\t", "\r\n  "]) : ""
    }

    /// `text` as a JSON string, each character written plainly or as an escape now and then.
    static func quoted(_ text: String, _ random: inout SeededRandom) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let escape = random.chance(1, in: 6)
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escape: out += "\\/"
            case _ where scalar.value < 0x20 || escape:
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += String(format: "\\u%04X\\u%04x", 0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF))
                } else {
                    out += String(format: random.chance(1, in: 2) ? "\\u%04x" : "\\u%04X", scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Now and then a byte inserted, removed or changed, to leave well-formed JSON.
    static func mutated(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        guard random.chance(1, in: 3), !bytes.isEmpty else { return bytes }
        var bytes = bytes
        let edits: [UInt8] = Array("\\\"{}[],:u0 \u{7F}".utf8) + [0xC3, 0xA9, 0xFF, 0xEF, 0xBB, 0xBF]
        for _ in 0..<(1 + random.next(2)) {
            let at = random.next(bytes.count)
            switch random.next(3) {
            case 0: bytes.insert(random.pick(edits), at: at)
            case 1: bytes.remove(at: at)
            default: bytes[at] = random.pick(edits)
            }
            if bytes.isEmpty { break }
        }
        return bytes
    }

    static func postHead() throws -> RequestHead {
        var parser = RequestParser()
        parser.feed(ByteBuffer(string: "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
        _ = try parser.next()
        return try #require(parser.head)
    }
}
