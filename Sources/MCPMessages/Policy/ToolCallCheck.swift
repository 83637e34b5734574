import NIOCore
import ProxyConfig

/// The tool policy on a request body, for profiles with a `tools:` block (nothing here runs for
/// the others). The body is parsed fully — escapes decoded, duplicate keys refused — so what the
/// policy sees is what any JSON parser upstream would see. The `Mcp-Method` and `Mcp-Name` headers
/// (SEP-2243), when present, must agree with the body: otherwise a client could show an
/// intermediary one tool and the server another. The policy always decides on the body.
package enum ToolCallCheck {
    package struct Refusal: Equatable, Sendable {
        /// The request ids to answer, as JSON text (one for a single message, every request's
        /// for a batch, which is refused whole).
        package let ids: [String]
        /// The refused tool's name; for a call without a string name, what `params.name` was
        /// instead, as JSON (`["delete_x"]`, `5`, `null`), or `(none)`.
        package let tool: String
        /// False when the call named no tool as a string: a server may still turn `["x"]` or a
        /// missing name into some tool, so under a policy such a call is refused.
        package let namesTool: Bool
        package let isBatch: Bool

        /// The answer, compact JSON on one line: a JSON-RPC error (-32602) for each request id,
        /// naming the tool and the profile; an array for a batch. Empty for a lone notification.
        /// The listener sends it as its HTTP body, the stdio bridge as its stdout line.
        package func response(profile: String) -> String {
            let message = namesTool
                ? "tool \(JSONNode.quoted(tool)) is not allowed by the tool policy of profile \(profile)"
                : "a tools/call must name its tool as a string in params.name (found \(tool)) under the tool policy of profile \(profile)"
            let errors = ids.map { id in
                #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32602,"message":\#(JSONNode.quoted(message)),"data":{"profile":\#(JSONNode.quoted(profile)),"tool":\#(JSONNode.quoted(tool))}}}"#
            }
            return isBatch ? "[" + errors.joined(separator: ",") + "]" : errors.first ?? ""
        }
    }

    /// The policy's refusal of a parsed message or batch, if any call in it names a refused tool.
    /// Shared with the stdio bridge, which sends messages upstream without a listener.
    package static func refusal(in node: JSONNode, policy: ToolPolicy) -> Refusal? {
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

    package static func contains(_ buffer: ByteBuffer, _ text: StaticString) -> Bool {
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
    package struct RoutingHeaders {
        package let method: String??
        package let name: String??

        package init(method: String??, name: String??) {
            self.method = method
            self.name = name
        }

        /// Why they disagree with the body; nil when they agree or are absent.
        package func mismatch(messages: [JSONNode], isBatch: Bool) -> String? {
            guard method != nil || name != nil else { return nil }
            guard !isBatch, let message = messages.first else { return "Mcp-Method or Mcp-Name sent with a batch, which has no single method" }
            if let method {
                guard let decoded = HeaderValueEncoding.decode(method), decoded == message["method"]?.string else {
                    return "the Mcp-Method header does not match the body's method"
                }
            }
            if let name {
                let bodyName = message["method"]?.string.flatMap { MCPMethod.namedParameter(of: $0, in: message["params"]) }
                guard let decoded = HeaderValueEncoding.decode(name), decoded == bodyName else { return "the Mcp-Name header does not match the body's params" }
            }
            return nil
        }
    }
}
