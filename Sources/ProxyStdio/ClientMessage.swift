import ProxyDataPlane
/// One line from the client, classified: what the bridge needs to send it upstream and to
/// answer for it when the upstream cannot.
struct ClientMessage {
    enum Kind: Equatable {
        /// Has a `method` and an `id`: the client waits for a response with this id.
        case request(id: JSONNode)
        /// Has a `method`, no `id`.
        case notification
        /// No `method`: the client's answer to a server-to-client request.
        case response
        /// An array (protocol revisions before 2025-06-18): the ids of the requests in it.
        case batch(requestIDs: [JSONNode])
    }

    let kind: Kind
    let method: String?
    /// `params.name` (tools/call, prompts/get), else `params.uri` (resources/*): the `Mcp-Name` header.
    let name: String?
    /// For `notifications/cancelled`: the request the client gave up on.
    let cancelledRequestID: JSONNode?

    enum Problem: Error, Equatable {
        /// Not JSON: -32700.
        case parseError
        /// JSON, but not a JSON-RPC message: -32600.
        case invalidRequest
    }

    static func classify(_ node: JSONNode) -> Result<ClientMessage, Problem> {
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
            let name = params?["name"]?.string ?? params?["uri"]?.string
            let cancelled = method == "notifications/cancelled" ? params?["requestId"] : nil
            let kind: Kind = id.map { .request(id: $0) } ?? .notification
            return .success(ClientMessage(kind: kind, method: method, name: name, cancelledRequestID: cancelled))
        default:
            return .failure(.invalidRequest)
        }
    }
}
