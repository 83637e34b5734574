/// The JSON-RPC method names of the MCP specification, the only values the `rpc_method` label
/// takes (anything else is counted as `other`): a client must not be able to mint label values.
enum MCPMethods {
    static let names = [
        "initialize", "ping",
        "tools/list", "tools/call",
        "resources/list", "resources/read", "resources/templates/list", "resources/subscribe", "resources/unsubscribe",
        "prompts/list", "prompts/get",
        "completion/complete", "logging/setLevel",
        "sampling/createMessage", "roots/list", "elicitation/create",
        "tasks/get", "tasks/list", "tasks/result", "tasks/cancel",
        "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/message",
        "notifications/roots/list_changed", "notifications/resources/list_changed", "notifications/resources/updated",
        "notifications/tools/list_changed", "notifications/prompts/list_changed",
        "notifications/elicitation/complete", "notifications/tasks/status",
    ]
    static let other = names.count
    /// Read-only after initialisation, so lookups from any thread take no lock.
    private static let indices = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })

    static func index(of method: String) -> Int { indices[method] ?? other }
    static func label(at index: Int) -> String { index < names.count ? names[index] : "other" }
}
