import ProxyConfig

/// The other half of the tool policy: a client is not shown the tools it may not call. One value
/// per request that asks `tools/list` (alone or in a batch); it knows the ids of those requests,
/// and removes refused tools from `result.tools` in every response that carries one of those ids,
/// leaving every other field (`nextCursor` included) as it was. Messages are matched on their id
/// rather than their shape, so a server cannot slip a list past it in a response it labels
/// otherwise, and nothing else is touched. An id stays matched after its first answer: a client
/// may skip a decoy (an event type it ignores, a message it rejects) and take a second answer to
/// the same id, so every answer is filtered, for as long as the response lasts. Ids are matched
/// the way clients match them, not only as written: the TypeScript SDK looks a response up by
/// `Number(id)` and the Python SDK by `==`, so `7.0` and `"7"` both answer a request `7`; any
/// such answer is filtered (`ClientMatchedID`). Shared by the listener (JSON and event-stream
/// responses) and the stdio bridge.
package struct ToolListFilter: Equatable, Sendable {
    /// Why a response to a `tools/list` request cannot be filtered: the client then gets a
    /// JSON-RPC error instead, never the list unfiltered.
    package enum Failure: Equatable, Sendable, CustomStringConvertible {
        case tooLarge
        /// The body, or an event's data, is not JSON the policy can read, and why.
        case unreadable(JSONNode.ParseFailure)
        case contentCoded

        package var description: String {
            switch self {
            case .tooLarge: return "exceeds max_request_body"
            case .unreadable(let failure): return "\(failure)"
            case .contentCoded: return "has a Content-Encoding the policy cannot read"
            }
        }
    }

    package let policy: ToolPolicy
    /// The `tools/list` request ids of the request: every response naming one is filtered.
    package let requestedIDs: [JSONNode]
    /// Those of `requestedIDs` no response has named yet (answered with an error if the response
    /// turns out to be unfilterable).
    package private(set) var awaitedIDs: [JSONNode]
    /// The request was a batch, so an answer in its place is an array.
    package let isBatch: Bool

    /// Nil when `request` (a message or a batch) asks no `tools/list`.
    package init?(request: JSONNode, policy: ToolPolicy) {
        let messages: [JSONNode]
        (messages, isBatch) = request.jsonRPCMessages
        requestedIDs = messages.compactMap { $0["method"]?.string == "tools/list" ? $0["id"] : nil }
        guard !requestedIDs.isEmpty else { return nil }
        awaitedIDs = requestedIDs
        self.policy = policy
        awaitsAnyResponse = false
    }

    /// On a GET stream: every response is filtered, whatever its id (`replayedResponses`).
    package let awaitsAnyResponse: Bool

    /// The responses a GET stream may carry. A server that resumes a broken POST stream there
    /// (SSE resumption with `Last-Event-ID`) replays that stream's responses, a `tools/list` one
    /// among them, and nothing on the GET request says which ids they answer. So on a GET stream
    /// every response that carries `result.tools` is filtered, and the filter is never done.
    package static func replayedResponses(policy: ToolPolicy) -> ToolListFilter {
        ToolListFilter(policy: policy)
    }

    private init(policy: ToolPolicy) {
        self.policy = policy
        requestedIDs = []
        awaitedIDs = []
        isBatch = false
        awaitsAnyResponse = true
    }

    /// One upstream message, or a batch of them. A response to a requested id is filtered (and
    /// that id no longer awaited), however many came before it; the result is the message with
    /// refused tools removed, or nil when nothing had to change.
    package mutating func filter(_ message: JSONNode) -> JSONNode? {
        guard case .array(let items) = message else { return filterResponse(message) }
        var changed = false
        let filtered = items.map { item in
            guard let rewritten = filterResponse(item) else { return item }
            changed = true
            return rewritten
        }
        return changed ? .array(filtered) : nil
    }

    private mutating func filterResponse(_ message: JSONNode) -> JSONNode? {
        // Whatever else the message says (a `method` too, say): a client that reads it as a
        // response must not see a refused tool in it.
        guard let id = message["id"].map(ClientMatchedID.init) else { return nil }
        guard awaitsAnyResponse || requestedIDs.contains(where: { id.answers(ClientMatchedID($0)) }) else { return nil }
        if message["method"] == nil { awaitedIDs.removeAll { id.answers(ClientMatchedID($0)) } }
        guard case .array(let tools)? = message["result"]?["tools"] else { return nil }
        // A tool without a string name cannot be matched against the policy: it is not shown.
        let kept = tools.filter { tool in tool["name"]?.string.map(policy.allows) ?? false }
        guard kept.count < tools.count else { return nil }
        return message.replacing("result", with: message["result"]!.replacing("tools", with: .array(kept)))
    }

    /// The answer in place of an unfilterable response, compact JSON on one line: a JSON-RPC
    /// error (-32603) for each awaited id, naming the profile and the reason; an array for a batch.
    package func failureResponse(_ failure: Failure, profile: String) -> String {
        let message = "the upstream's tools/list response \(failure), so the tool policy of profile \(profile) cannot filter it"
        let errors = awaitedIDs.map { id in
            #"{"jsonrpc":"2.0","id":\#(id.serialized),"error":{"code":-32603,"message":\#(JSONNode.quoted(message)),"data":{"profile":\#(JSONNode.quoted(profile))}}}"#
        }
        return isBatch ? "[" + errors.joined(separator: ",") + "]" : errors.first ?? ""
    }
}

extension JSONNode {
    /// The object with the first member named `key` given a new value (order kept).
    package func replacing(_ key: String, with value: JSONNode) -> JSONNode {
        guard case .object(var members) = self, let index = members.firstIndex(where: { $0.0 == key }) else { return self }
        members[index].1 = value
        return .object(members)
    }
}
