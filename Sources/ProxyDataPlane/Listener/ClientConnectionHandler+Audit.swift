import NIOCore
import ProxyAudit

/// The audit trail's lines for an exchange that ended: one per audited call it carried
/// (`tools/call`, `resources/read`, `prompts/get`; see `AuditedRequest`), and one for a request the
/// proxy refused without such a call. Everything else — pings, lists, streams — is the request
/// log's alone.
extension ClientConnectionHandler {
    func audit(_ exchange: RequestExchange, in trail: AuditTrail, bytesOut: Int?, now: NIODeadline) {
        let refusal = exchange.answerReason.flatMap { $0.isRejection ? $0 : nil }
        guard exchange.audited != nil || refusal != nil else { return }
        var entry = AuditTrail.Exchange(profile: runtime.profile.name, transport: "http", httpMethod: exchange.method,
                                        decision: refusal?.rawValue ?? "forwarded", status: exchange.status)
        entry.client = clientName(of: exchange)
        entry.clientAddress = clientAddress
        entry.upstreamStatus = exchange.upstreamStatus
        entry.failure = exchange.failure?.summary
        entry.durationNanoseconds = UInt64((now - exchange.startedAt).nanoseconds)
        entry.bytesIn = exchange.audited?.bytesIn ?? exchange.head?.declaredLength ?? 0
        entry.bytesOut = bytesOut ?? exchange.bytesOut
        entry.isEventStream = exchange.isEventStream
        trail.record(entry, request: exchange.audited)
    }
}
