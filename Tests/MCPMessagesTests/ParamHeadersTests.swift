@testable import MCPMessages
import Testing

/// SEP-2243's `x-mcp-header` rules, case by case, as the SDK's validator decides them.
@Suite("Mcp-Param headers")
struct ParamHeadersTests {
    static func schema(_ text: String) -> JSONNode { JSONNode.parse(Array(text.utf8))! }

    @Test("valid annotations: top-level and nested properties, string/integer/boolean", arguments: [
        (#"{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}"#, [["region"]]),
        (#"{"properties":{"a":{"properties":{"b":{"type":"integer","x-mcp-header":"B"}}}}}"#, [["a", "b"]]),
        (#"{"properties":{"x":{"type":"boolean","x-mcp-header":"X"},"y":{"type":"string"}}}"#, [["x"]]),
        (#"{"properties":{"d":{"type":"string","default":{"x-mcp-header":"data, not a schema"}}}}"#, []),
    ])
    func valid(schema text: String, paths: [[String]]) throws {
        let annotations = try ParamHeaders.annotations(in: Self.schema(text)).get()
        #expect(annotations.map(\.path) == paths)
    }

    @Test("invalid annotations: off the properties chain, on the root, not a token, not a scalar, named twice", arguments: [
        #"{"type":"object","x-mcp-header":"Root"}"#,
        #"{"properties":{"list":{"type":"array","items":{"type":"string","x-mcp-header":"Item"}}}}"#,
        #"{"anyOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]}"#,
        #"{"properties":{"a":{"type":"string","x-mcp-header":"has space"}}}"#,
        #"{"properties":{"a":{"type":"string","x-mcp-header":7}}}"#,
        #"{"properties":{"a":{"type":"number","x-mcp-header":"A"}}}"#,
        #"{"properties":{"a":{"type":["string","null"],"x-mcp-header":"A"}}}"#,
        #"{"properties":{"a":{"type":"string","x-mcp-header":"Dup"},"b":{"type":"string","x-mcp-header":"dup"}}}"#,
    ])
    func invalid(schema text: String) {
        #expect(throws: ParamHeaders.InvalidAnnotation.self) { try ParamHeaders.annotations(in: Self.schema(text)).get() }
    }

    @Test("headers carry scalars encoded like Mcp-Name; absent and non-scalar values send none")
    func headers() throws {
        let annotations = try ParamHeaders.annotations(in: Self.schema(
            #"{"properties":{"r":{"type":"string","x-mcp-header":"Region"},"n":{"type":"integer","x-mcp-header":"N"},"f":{"type":"boolean","x-mcp-header":"F"},"o":{"type":"string","x-mcp-header":"O"},"m":{"type":"string","x-mcp-header":"M"}}}"#)).get()
        let arguments = Self.schema(#"{"r":"eu ü","n":42,"f":false,"o":{"nested":1}}"#)
        let headers = ParamHeaders.headers(for: annotations, arguments: arguments)
        #expect(headers.map(\.0) == ["mcp-param-Region", "mcp-param-N", "mcp-param-F"])
        #expect(headers.map(\.1) == [HeaderValueEncoding.encode("eu ü"), "42", "false"])
    }

    @Test("a tools/list response loses the tools with invalid annotations; the valid ones are remembered")
    func learning() throws {
        var known = ToolHeaderAnnotations()
        let response = Self.schema(#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ok","inputSchema":{"properties":{"r":{"type":"string","x-mcp-header":"R"}}}},{"name":"bad","inputSchema":{"x-mcp-header":"Root"}},{"name":"plain"}],"nextCursor":"c"}}"#)
        let (cleaned, dropped) = known.learn(fromToolListResponse: response)
        #expect(dropped == ["bad"])
        #expect(cleaned?["result"]?["tools"].map { node -> [String] in
            guard case .array(let tools) = node else { return [] }
            return tools.compactMap { $0["name"]?.string }
        } == ["ok", "plain"])
        #expect(cleaned?["result"]?["nextCursor"]?.string == "c")
        #expect(known.byTool["ok"]?.map(\.token) == ["R"])
        #expect(known.byTool["bad"] == nil)
        let unchanged = Self.schema(#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"plain"}]}}"#)
        #expect(known.learn(fromToolListResponse: unchanged).response == nil)
    }
}
