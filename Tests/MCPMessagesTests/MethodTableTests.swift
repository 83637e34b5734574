@testable import MCPMessages
import Testing

/// The one table of which params member is a method's `Mcp-Name`, and the revision a message
/// names for itself.
@Suite("MCP method table")
struct MethodTableTests {
    static func node(_ text: String) -> JSONNode { JSONNode.parse(Array(text.utf8))! }

    @Test("the Mcp-Name parameter of each named method, the task ones included", arguments: [
        ("tools/call", "name"), ("prompts/get", "name"), ("resources/read", "uri"),
        ("tasks/get", "taskId"), ("tasks/update", "taskId"), ("tasks/cancel", "taskId"),
    ])
    func namedParameter(method: String, key: String) {
        #expect(MCPMethod.namedParameterKey(of: method) == key)
        #expect(MCPMethod.namedParameterKey(of: "tools/list") == nil)
    }

    @Test("a message names its revision in _meta; an initialize-era one does not")
    func declaredRevision() throws {
        let modern = Self.node(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#)
        let legacy = Self.node(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        #expect(try ClientMessage.classify(modern).get().declaredRevision == "2026-07-28")
        #expect(try ClientMessage.classify(legacy).get().declaredRevision == nil)
    }
}
