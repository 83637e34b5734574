import MCPMessages
import ProxyConfig
import ProxyLogging

/// The configured audit trail: how arguments are rendered, and the sink lines go to. Made by the
/// supervisor from the `audit:` block and held by every runtime (nil without the block, so the
/// request path pays one branch); a reload that changes the block makes a new trail and new
/// runtimes for every listener.
package final class AuditTrail: Sendable {
    package let settings: AuditSettings
    package let arguments: AuditArguments
    package let sink: AuditSink

    package init(settings: AuditSettings, sink: AuditSink) {
        self.settings = settings
        self.arguments = AuditArguments(settings)
        self.sink = sink
    }

    /// What every line of one exchange says, whatever its calls.
    package struct Exchange {
        package var profile: String
        /// `http` (a listener) or `stdio` (the bridge).
        package var transport: StaticString
        package var client: String?
        package var clientAddress: String?
        package var httpMethod: String
        /// `forwarded`, or the refusal's reason (the log line's `reason`).
        package var decision: String
        /// What the client was sent; 499 when it left first; 0 (left out) on stdio, which has none.
        package var status: Int
        package var upstreamStatus: Int
        /// Why the upstream exchange failed (connect, timeout, …), when it did.
        package var failure: String?
        package var durationNanoseconds: UInt64
        package var bytesIn: Int
        package var bytesOut: Int
        package var isEventStream: Bool

        package init(profile: String, transport: StaticString, httpMethod: String, decision: String, status: Int) {
            self.profile = profile
            self.transport = transport
            self.httpMethod = httpMethod
            self.decision = decision
            self.status = status
            upstreamStatus = 0
            durationNanoseconds = 0
            bytesIn = 0
            bytesOut = 0
            isEventStream = false
        }
    }

    /// One line per audited call of `request`, or one for a refused request without any.
    package func record(_ exchange: Exchange, request: AuditedRequest?) {
        guard let request else {
            sink.emit(line(exchange, call: nil, outcome: nil))
            return
        }
        let forwarded = exchange.decision == "forwarded" && exchange.upstreamStatus > 0
        let outcomes = forwarded ? request.outcomes(isEventStream: exchange.isEventStream) : []
        for (index, call) in request.calls.enumerated() {
            sink.emit(line(exchange, call: call, outcome: index < outcomes.count ? outcomes[index] : nil))
        }
    }

    private func line(_ exchange: Exchange, call: AuditedRequest.Call?, outcome: AuditedRequest.Outcome?) -> LogLine {
        var line = LogLine(level: .info, event: "audit")
        line.field("profile", exchange.profile)
        line.field("transport", exchange.transport.description)
        if let client = exchange.client { line.field("client", client) }
        if let address = exchange.clientAddress { line.field("client_address", address) }
        line.field("http_method", exchange.httpMethod)
        if let call {
            line.field("method", call.method)
            if let id = call.id { line.field("id", json: id.serialized) }
            if let target = call.target { line.field(call.targetKey, target) }
        }
        line.field("decision", exchange.decision)
        if exchange.status > 0 { line.field("status", exchange.status) }
        if exchange.upstreamStatus > 0 { line.field("upstream_status", exchange.upstreamStatus) }
        switch outcome {
        case .ok?: line.field("outcome", "ok")
        case .toolError?:
            line.field("outcome", "tool_error")
            line.field("is_error", true)
        case .error(let code)?:
            line.field("outcome", "jsonrpc_error")
            line.field("error_code", json: code ?? "null")
        case .unknown(let why)?:
            line.field("outcome", "unknown")
            line.field("outcome_note", why)
        case nil: break
        }
        if let failure = exchange.failure { line.field("error", failure) }
        line.field("duration_ms", milliseconds: exchange.durationNanoseconds)
        line.field("bytes_in", exchange.bytesIn)
        line.field("bytes_out", exchange.bytesOut)
        switch call?.arguments {
        case .sha256(let hex)?: line.field("arguments_sha256", hex)
        case .full(let text)?: line.field("arguments", json: text)
        case nil: break
        }
        return line
    }
}
