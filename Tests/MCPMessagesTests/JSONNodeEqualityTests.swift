import Testing
@testable import MCPMessages

/// `JSONNode ==` walks both trees; it must agree with comparing the serialised forms, which is
/// what it replaced (the bridge compares request ids with it in loops).
@Suite("JSONNode equality")
struct JSONNodeEqualityTests {
    static let texts = [
        "1", "1.0", "\"1\"", "null", "true", "false", "[]", "{}", "[1,2]", "[2,1]", #"{"a":1,"b":2}"#, #"{"b":2,"a":1}"#,
        #"{"a":[1,{"c":null}]}"#, #"{"a":[1,{"c":false}]}"#, #""é""#, #""\u00e9""#, #"[[]]"#, #"[{}]"#,
    ]

    @Test("equal exactly when the serialised forms are equal, for every pair")
    func agreesWithSerialisation() throws {
        let nodes = try Self.texts.map { try #require(JSONNode.parse(Array($0.utf8))) }
        for a in nodes {
            for b in nodes {
                #expect((a == b) == (a.serialized == b.serialized), "\(a.serialized) vs \(b.serialized)")
            }
        }
        #expect(nodes[14] == nodes[15], "an escape and the character it stands for are the same string")
        #expect(nodes[10] != nodes[11], "member order counts, as in the serialised form")
    }
}
