import MCPMessages
import NIOCore
import ProxyConfig

/// The listener's side of the tool policy: the request's SEP-2243 routing headers are read
/// from its head and checked against the body before the policy decides on the body.
extension ToolCallCheck {
    enum Verdict: Equatable {
        /// Forward; with a filter when the message asks `tools/list`, whose response is filtered.
        case forward(ToolListFilter?)
        case refuse(Refusal)
        /// The message cannot be decided safely (400, never forwarded).
        case ambiguous(String)
    }

    static func verdict(body: ByteBuffer?, head: RequestHead, policy: ToolPolicy) -> Verdict {
        // Without an escape anywhere, a tools/call or tools/list must spell `tools/` literally;
        // without it and without routing headers to compare, nothing here applies: no parse.
        let routing = RoutingHeaders(method: field(head, "mcp-method"), name: field(head, "mcp-name"))
        if let body, routing.method == nil, routing.name == nil,
           !body.readableBytesView.contains(UInt8(ascii: "\\")), !Self.contains(body, "tools/") {
            return .forward(nil)
        }
        let node: JSONNode
        switch JSONNode.parsing(body?.readableBytesView ?? ByteBuffer().readableBytesView, rejectingDuplicateKeys: true) {
        case .success(let parsed): node = parsed
        case .failure(.duplicateKey(let key)):
            return .ambiguous("the body names the key \(JSONNode.quoted(String(key.prefix(64)))) twice; the tool policy cannot tell which one the server would read")
        case .failure(let failure):
            return .ambiguous("the body \(failure); the tool policy cannot tell what the server would read")
        }
        let (messages, isBatch) = node.jsonRPCMessages
        if let mismatch = routing.mismatch(messages: messages, isBatch: isBatch) { return .ambiguous(mismatch) }
        if let refusal = refusal(in: node, policy: policy) { return .refuse(refusal) }
        return .forward(ToolListFilter(request: node, policy: policy))
    }

    /// The value of the one field named `name` (a repeated field is as good as a mismatch).
    static func field(_ head: RequestHead, _ name: String) -> String?? {
        head.bytes.withUnsafeReadableBytes { raw -> String?? in
            var found: String??
            for field in head.fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), lowercased: name) {
                if found != nil { return .some(nil) }
                found = .some(String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self))
            }
            return found
        }
    }
}
