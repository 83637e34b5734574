/// One line from the client, classified: what the bridge needs to send it upstream and to
/// answer for it when the upstream cannot.
package struct ClientMessage {
    package enum Kind: Equatable {
        /// Has a `method` and an `id`: the client waits for a response with this id.
        case request(id: JSONNode)
        /// Has a `method`, no `id`.
        case notification
        /// No `method`: the client's answer to a server-to-client request.
        case response
        /// An array (protocol revisions before 2025-06-18): the ids of the requests in it.
        case batch(requestIDs: [JSONNode])
    }

    package let kind: Kind
    package let method: String?
    /// The parameter `MCPMethod` names for the method: the `Mcp-Name` header.
    package let name: String?
    /// For `notifications/cancelled`: the request the client gave up on.
    package let cancelledRequestID: JSONNode?
    /// The revision the message names for itself in `params._meta` (2026-07-28 and later);
    /// nil for messages of a session that `initialize` negotiated.
    package var declaredRevision: String? = nil

    package enum Problem: Error, Equatable {
        /// Not JSON: -32700.
        case parseError
        /// JSON, but not a JSON-RPC message: -32600.
        case invalidRequest
    }

    package static func classify(_ node: JSONNode) -> Result<ClientMessage, Problem> {
        switch node {
        case .array(let items):
            guard !items.isEmpty else { return .failure(.invalidRequest) }
            var ids: [JSONNode] = []
            for item in items {
                guard case .success(let message) = classify(item) else { return .failure(.invalidRequest) }
                if case .request(let id) = message.kind { ids.append(id) }
            }
            return .success(ClientMessage(kind: .batch(requestIDs: ids), method: nil, name: nil, cancelledRequestID: nil))
        case .object:
            guard node["jsonrpc"]?.string == "2.0" else { return .failure(.invalidRequest) }
            let method = node["method"]
            if method != nil, method?.string == nil { return .failure(.invalidRequest) }
            let id = node["id"]
            if let id {
                switch id {
                case .string, .number: break
                case .null where method == nil: break
                default: return .failure(.invalidRequest)
                }
            }
            guard let method = method?.string else {
                // A response: it must carry an id and exactly one of result and error.
                guard id != nil, (node["result"] == nil) != (node["error"] == nil) else { return .failure(.invalidRequest) }
                return .success(ClientMessage(kind: .response, method: nil, name: nil, cancelledRequestID: nil))
            }
            let params = node["params"]
            let name = MCPMethod.namedParameter(of: method, in: params)
            let cancelled = method == "notifications/cancelled" ? params?["requestId"] : nil
            let kind: Kind = id.map { .request(id: $0) } ?? .notification
            return .success(ClientMessage(kind: kind, method: method, name: name, cancelledRequestID: cancelled,
                                          declaredRevision: MCPMethod.declaredRevision(in: node)))
        default:
            return .failure(.invalidRequest)
        }
    }
}
