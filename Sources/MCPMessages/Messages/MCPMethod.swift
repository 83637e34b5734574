/// What the MCP revisions say about a method's routing, shared by the listener's check of the
/// SEP-2243 headers and the bridge, which writes them: one table, so the two never disagree.
package enum MCPMethod {
    /// The revision whose requests carry their own version in `_meta` and need no session.
    package static let sessionlessRevision = "2026-07-28"
    /// The `_meta` key naming the revision a 2026-07-28-era request is written in.
    package static let protocolVersionMetaKey = "io.modelcontextprotocol/protocolVersion"

    /// The params member whose value is the request's `Mcp-Name`: the tool, prompt or resource it
    /// names (SEP-2243), or the task a tasks-extension request is about (SEP-2663).
    package static func namedParameterKey(of method: String) -> String? {
        switch method {
        case "tools/call", "prompts/get": "name"
        case "resources/read", "resources/subscribe", "resources/unsubscribe": "uri"
        case "tasks/get", "tasks/update", "tasks/cancel", "tasks/result": "taskId"
        default: nil
        }
    }

    /// The `Mcp-Name` value of a request: the named parameter when it is a string.
    package static func namedParameter(of method: String, in params: JSONNode?) -> String? {
        namedParameterKey(of: method).flatMap { params?[$0]?.string }
    }

    /// The revision a request names for itself in `params._meta`; nil for requests of the
    /// revisions that negotiate one with `initialize`.
    package static func declaredRevision(in message: JSONNode) -> String? {
        message["params"]?["_meta"]?[protocolVersionMetaKey]?.string
    }
}
