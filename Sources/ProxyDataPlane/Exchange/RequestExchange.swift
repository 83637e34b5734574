import NIOCore
import ProxyAudit

/// What the log line and the metrics report about the request in progress on a client
/// connection, or the last one: facts gathered as they happen, from its head to the last byte of
/// its response. No decision reads them (decisions read the machines' states); an optional here
/// is a thing that did not happen, never an invariant.
///
/// Kept beside `ClientConnectionStateMachine`'s state and overwritten by the next request's
/// head, so a keep-alive connection reuses one record instead of allocating one per request.
struct RequestExchange {
    /// Counts the connection's requests; tells a late callback (an upstream connect finishing
    /// after its exchange ended) that the exchange it was for is gone.
    private(set) var number = 0
    private(set) var head: RequestHead?
    private(set) var logPath: Substring = ""
    private(set) var startedAt = NIODeadline.uptimeNanoseconds(0)
    /// The target the request was (or would have been) signed for.
    var upstreamTarget = ""
    var rpcMethod: String?
    /// The tool the tool policy refused (for the log line).
    var refusedTool: String?
    /// `client_auth: oauth`: the client its token was accepted as; its tool policy is the request's.
    var client: AcceptedClient?
    /// The audit trail's calls of this request (nil without a trail, or without such a call).
    var audited: AuditedRequest?
    /// `otel:`: the trace the exchange joined (nil without a tracer).
    var trace: ExchangeTrace?
    /// `rate_limit.per_client`: the client's bucket (nil without a per-client limit).
    var rateBucket: RateBucket?
    /// `client_auth: oauth`: why the token was refused (for the log line; never sent to the client).
    var tokenProblem: String?
    /// Why the proxy answered the request itself; nil when the upstream's response was relayed.
    var answerReason: LocalAnswer.Reason?
    /// The status sent to the client; 499 when the client left before it got one.
    var status = 0
    var upstreamStatus = 0
    var bytesOut = 0
    var isEventStream = false
    var failure: ExchangeFailure?
    /// When the request went upstream, and when the upstream's response head came back.
    var forwardedAt: NIODeadline?
    var upstreamRespondedAt: NIODeadline?
    /// The start of an upstream error body (status 400 and up), for the log line.
    private(set) var errorSnippet: ByteBuffer?
    private(set) var errorTruncated = false

    static let errorSnippetLimit = 512

    var method: String { head?.method ?? "" }

    /// Starts the next request on the connection, forgetting everything about the previous one.
    /// Field by field rather than `self = RequestExchange(…)`: building a whole new record and
    /// destroying the old one cost about 1,000 instructions per request. A test holds every
    /// field, by reflection, to a new record's after `begin`, so a field added later cannot be
    /// left out here unnoticed.
    mutating func begin(_ head: RequestHead, at now: NIODeadline) {
        number &+= 1
        self.head = head
        logPath = RequestRouter.logPath(head.target)
        startedAt = now
        upstreamTarget = ""
        rpcMethod = nil
        refusedTool = nil
        client = nil
        rateBucket = nil
        audited = nil
        trace = nil
        tokenProblem = nil
        answerReason = nil
        status = 0
        upstreamStatus = 0
        bytesOut = 0
        isEventStream = false
        failure = nil
        forwardedAt = nil
        upstreamRespondedAt = nil
        errorSnippet = nil
        errorTruncated = false
    }

    init() {}

    mutating func captureErrorBody(_ buffer: ByteBuffer) {
        guard upstreamStatus >= 400 else { return }
        let room = Self.errorSnippetLimit - (errorSnippet?.readableBytes ?? 0)
        guard room > 0 else {
            errorTruncated = errorTruncated || buffer.readableBytes > 0
            return
        }
        let slice = buffer.getSlice(at: buffer.readerIndex, length: min(room, buffer.readableBytes)) ?? ByteBuffer()
        if buffer.readableBytes > room { errorTruncated = true }
        if var snippet = errorSnippet {
            var slice = slice
            errorSnippet = nil
            snippet.writeBuffer(&slice)
            errorSnippet = snippet
        } else {
            errorSnippet = slice
        }
    }
}
