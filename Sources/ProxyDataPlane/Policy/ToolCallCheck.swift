import NIOCore
import ProxyConfig

/// The tool policy on a request body, for profiles with a `tools:` block (nothing here runs for
/// the others). The body is parsed fully — escapes decoded, duplicate keys refused — so what the
/// policy sees is what any JSON parser upstream would see. The `Mcp-Method` and `Mcp-Name` headers
/// (SEP-2243), when present, must agree with the body: otherwise a client could show an
/// intermediary one tool and the server another. The policy always decides on the body.
public enum ToolCallCheck {
    public struct Refusal: Equatable, Sendable {
        /// The request ids to answer, as JSON text (one for a single message, every request's
        /// for a batch, which is refused whole).
        public let ids: [String]
        /// The refused tool's name; for a call without a string name, what `params.name` was
        /// instead, as JSON (`["delete_x"]`, `5`, `null`), or `(none)`.
        public let tool: String
        /// False when the call named no tool as a string: a server may still turn `["x"]` or a
        /// missing name into some tool, so under a policy such a call is refused.
        public let namesTool: Bool
        public let isBatch: Bool

        /// The answer, compact JSON on one line: a JSON-RPC error (-32602) for each request id,
        /// naming the tool and the profile; an array for a batch. Empty for a lone notification.
        /// The listener sends it as its HTTP body, the stdio bridge as its stdout line.
        public func response(profile: String) -> String {
            let message = namesTool
                ? "tool \(JSONNode.quoted(tool)) is not allowed by the tool policy of profile \(profile)"
                : "a tools/call must name its tool as a string in params.name (found \(tool)) under the tool policy of profile \(profile)"
            let errors = ids.map { id in
                #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32602,"message":\#(JSONNode.quoted(message)),"data":{"profile":\#(JSONNode.quoted(profile)),"tool":\#(JSONNode.quoted(tool))}}}"#
            }
            return isBatch ? "[" + errors.joined(separator: ",") + "]" : errors.first ?? ""
        }
    }

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

    /// The policy's refusal of a parsed message or batch, if any call in it names a refused tool.
    /// Shared with the stdio bridge, which sends messages upstream without a listener.
    public static func refusal(in node: JSONNode, policy: ToolPolicy) -> Refusal? {
        let (messages, isBatch) = node.jsonRPCMessages
        let ids = { messages.compactMap { $0["method"] != nil ? $0["id"]?.serialized : nil } }
        for message in messages where message["method"]?.string == "tools/call" {
            guard let name = message["params"]?["name"] else {
                return Refusal(ids: ids(), tool: "(none)", namesTool: false, isBatch: isBatch)
            }
            guard let tool = name.string else { return Refusal(ids: ids(), tool: String(name.serialized.prefix(64)), namesTool: false, isBatch: isBatch) }
            if !policy.allows(tool) { return Refusal(ids: ids(), tool: tool, namesTool: true, isBatch: isBatch) }
        }
        return nil
    }

    static func contains(_ buffer: ByteBuffer, _ text: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return buffer.withUnsafeReadableBytes { haystack in
            guard haystack.count >= needle.count else { return false }
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == needle[0], zip(needle.indices, needle).allSatisfy({ haystack[index + $0] == $1 }) { return true }
                index += 1
            }
            return false
        }
    }

    /// The SEP-2243 routing headers as sent: absent (nil), repeated (`.some(nil)`), or one value.
    struct RoutingHeaders {
        let method: String??
        let name: String??

        /// Why they disagree with the body; nil when they agree or are absent.
        func mismatch(messages: [JSONNode], isBatch: Bool) -> String? {
            guard method != nil || name != nil else { return nil }
            guard !isBatch, let message = messages.first else { return "Mcp-Method or Mcp-Name sent with a batch, which has no single method" }
            if let method {
                guard let decoded = HeaderValueEncoding.decode(method), decoded == message["method"]?.string else {
                    return "the Mcp-Method header does not match the body's method"
                }
            }
            if let name {
                let params = message["params"]
                let bodyName = params?["name"]?.string ?? params?["uri"]?.string
                guard let decoded = HeaderValueEncoding.decode(name), decoded == bodyName else { return "the Mcp-Name header does not match the body's params" }
            }
            return nil
        }
    }

    /// The value of the one field named `name` (a repeated field is as good as a mismatch).
    static func field(_ head: RequestHead, _ name: String) -> String?? {
        head.bytes.withUnsafeReadableBytes { raw -> String?? in
            var found: String??
            for field in head.fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), name) {
                if found != nil { return .some(nil) }
                found = .some(String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self))
            }
            return found
        }
    }
}
