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
    /// Events the stdio bridge has decoded already: their data, read as they are.
    private var events: [String] = []
    /// Response bytes kept so far, in `response` or `events`.
    private var captured = 0
    private var responseTooLarge = false

    /// nil when the body holds no audited call (or is not JSON, which the body check refused).
    package init?(body: UnsafeRawBufferPointer, arguments: AuditArguments) {
        guard let root = JSONNode.parse(body) else { return nil }
        var calls: [Call] = []
        for message in root.jsonRPCMessages.messages {
            guard let method = message["method"]?.string, Self.methods.contains(method) else { continue }
            let params = message["params"]
            calls.append(Call(method: method, id: message["id"], target: MCPMethod.namedParameter(of: method, in: params),
                              arguments: method == "resources/read" ? nil : arguments.rendered(params?["arguments"])))
        }
        guard !calls.isEmpty else { return nil }
        self.calls = calls
        bytesIn = body.count
    }

    /// Keeps response bytes to read the outcomes from, up to `responseLimit`.
    package func capture(_ buffer: ByteBuffer) {
        guard admits(buffer.readableBytes) else { return }
        if response == nil {
            response = buffer
        } else {
            var buffer = buffer
            response!.writeBuffer(&buffer)
        }
    }

    /// Keeps the data of one event the bridge has already decoded from the response's stream.
    package func capture(eventData data: String) {
        guard admits(data.utf8.count) else { return }
        events.append(data)
    }

    /// Whether `count` more bytes fit under `responseLimit`; past it, nothing is kept at all.
    private func admits(_ count: Int) -> Bool {
        guard !responseTooLarge else { return false }
        captured += count
        guard captured > Self.responseLimit else { return true }
        responseTooLarge = true
        response = nil
        events = []
        return false
    }

    /// What the response said about a call.
    package enum Outcome: Equatable, Sendable {
        case ok
        /// `result.isError: true`: the tool ran and reported a failure.
        case toolError
        /// A JSON-RPC error, with its code as written (nil when it has no numeric one).
        case error(code: String?)
        /// No answer to the call could be read (why, for the line).
        case unknown(String)
    }

    /// Each call's outcome, index for index with `calls`, read from the captured response: a JSON
    /// body (one message or a batch's array), or an event stream's messages.
    package func outcomes(isEventStream: Bool) -> [Outcome] {
        if responseTooLarge { return calls.map { _ in .unknown("response over \(Self.responseLimit >> 20) MiB") } }
        guard response != nil || !events.isEmpty else { return calls.map { _ in .unknown("no response body") } }
        var outcomes: [Outcome?] = calls.map { $0.id == nil ? .unknown("a notification has no answer") : nil }
        func read(_ body: UnsafeRawBufferPointer) {
            for message in ResponseOutcomeScan.messages(body) ?? [] where message.outcome != .none {
                // Ids are compared as JSON values (`1` and `1.0` differ, as the proxy's own
                // matching does); only an answer's id is parsed, and only when one is awaited.
                guard let range = message.id, outcomes.contains(where: { $0 == nil }),
                      let id = JSONNode.parse(UnsafeRawBufferPointer(rebasing: body[range])) else { continue }
                for (index, call) in calls.enumerated() where outcomes[index] == nil && call.id == id {
                    outcomes[index] = Self.outcome(message.outcome, in: body)
                }
            }
        }
        func read(event data: String) {
            var data = data
            data.withUTF8 { read(UnsafeRawBufferPointer($0)) }
        }
        for data in events { read(event: data) }
        if let response, isEventStream {
            var decoder = EventStreamDecoder(maximumLineBytes: Self.responseLimit)
            for event in (try? decoder.feed(response)) ?? [] where event.isMessage { read(event: event.data) }
        } else {
            response?.withUnsafeReadableBytes(read)
        }
        return outcomes.map { $0 ?? .unknown("no answer with the call's id") }
    }

    private static func outcome(_ scanned: ResponseOutcomeScan.Outcome, in body: UnsafeRawBufferPointer) -> Outcome {
        switch scanned {
        case .result, .none: return .ok
        case .toolError: return .toolError
        case .error(let code): return .error(code: code.map { String(decoding: UnsafeRawBufferPointer(rebasing: body[$0]), as: UTF8.self) })
        }
    }
}
