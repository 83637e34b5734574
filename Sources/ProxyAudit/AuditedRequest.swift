import MCPMessages
import NIOCore

/// The calls of one request that the audit trail records (`tools/call`, `resources/read`,
/// `prompts/get`), read from its body once it is complete, and what the response said about
/// each. Made only while an audit trail is configured, and only for requests that carry such a
/// call; the connection's loop is its only user.
package final class AuditedRequest {
    /// One audited message of the request.
    package struct Call: Sendable {
        package let method: String
        /// The JSON-RPC id as written (nil for a notification).
        package let id: JSONNode?
        /// `params.name` (tools, prompts) or `params.uri` (resources).
        package let target: String?
        package let arguments: AuditArguments.Rendered?

        /// The line's key for `target`.
        package var targetKey: StaticString {
            switch method {
            case "resources/read": "resource"
            case "prompts/get": "prompt"
            default: "tool"
            }
        }
    }

    /// The methods audited; every other message passes without a line of its own.
    package static let methods: Set<String> = ["tools/call", "resources/read", "prompts/get"]
    /// The most response bytes kept to read each call's outcome from.
    package static let responseLimit = 1 << 20

    package let calls: [Call]
    package let bytesIn: Int
    private var response: ByteBuffer?
    private var responseTooLarge = false

    /// nil when the body holds no audited call (or is not JSON, which the body check refused).
    package init?(body: UnsafeRawBufferPointer, arguments: AuditArguments) {
        guard let root = JSONNode.parse(body) else { return nil }
        var calls: [Call] = []
        for message in root.jsonRPCMessages.messages {
            guard let method = message["method"]?.string, Self.methods.contains(method) else { continue }
            let params = message["params"]
            let target = method == "resources/read" ? params?["uri"]?.string : params?["name"]?.string
            calls.append(Call(method: method, id: message["id"], target: target,
                              arguments: method == "resources/read" ? nil : arguments.rendered(params?["arguments"])))
        }
        guard !calls.isEmpty else { return nil }
        self.calls = calls
        bytesIn = body.count
    }

    /// Keeps response bytes to read the outcomes from, up to `responseLimit`.
    package func capture(_ buffer: ByteBuffer) {
        guard !responseTooLarge else { return }
        if (response?.readableBytes ?? 0) + buffer.readableBytes > Self.responseLimit {
            responseTooLarge = true
            response = nil
            return
        }
        if response == nil {
            response = buffer
        } else {
            var buffer = buffer
            response!.writeBuffer(&buffer)
        }
    }

    /// Keeps one event of an event stream the bridge has already decoded, as the stream had it.
    package func capture(eventData data: String) {
        var text = ""
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        capture(ByteBuffer(string: text + "\n"))
    }

    /// What the response said about a call.
    package enum Outcome: Equatable, Sendable {
        case ok
        /// `result.isError: true`: the tool ran and reported a failure.
        case toolError
        /// A JSON-RPC error, with its code.
        case error(code: String)
        /// No answer to the call could be read (why, for the line).
        case unknown(String)
    }

    /// Each call's outcome, index for index with `calls`, read from the captured response: a JSON
    /// body (one message or a batch's array), or an event stream's messages.
    package func outcomes(isEventStream: Bool) -> [Outcome] {
        if responseTooLarge { return calls.map { _ in .unknown("response over \(Self.responseLimit >> 20) MiB") } }
        guard let response else { return calls.map { _ in .unknown("no response body") } }
        var messages: [JSONNode] = []
        if isEventStream {
            var decoder = EventStreamDecoder(maximumLineBytes: Self.responseLimit)
            let events = (try? decoder.feed(response)) ?? []
            for event in events where event.isMessage {
                if let node = JSONNode.parse(Array(event.data.utf8)) { messages += node.jsonRPCMessages.messages }
            }
        } else if let node = response.withUnsafeReadableBytes({ JSONNode.parse($0) }) {
            messages = node.jsonRPCMessages.messages
        }
        return calls.map { call in
            guard let id = call.id else { return .unknown("a notification has no answer") }
            guard let answer = messages.first(where: { $0["id"] == id && ($0["result"] != nil || $0["error"] != nil) }) else {
                return .unknown("no answer with the call's id")
            }
            if let error = answer["error"] {
                if case .number(let code)? = error["code"] { return .error(code: code) }
                return .error(code: "none")
            }
            if case .bool(true)? = answer["result"]?["isError"] { return .toolError }
            return .ok
        }
    }
}
