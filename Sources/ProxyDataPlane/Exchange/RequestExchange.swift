import NIOCore

/// What the proxy knows about the request in progress on a client connection, from its head to
/// the last byte of its response: what the log line (and later the metrics) report, and what the
/// upstream request is built from.
///
/// A value kept inside `ClientExchangeStateMachine` and overwritten by the next request's head,
/// so a keep-alive connection reuses one exchange instead of allocating one per request.
struct RequestExchange {
    /// Counts the connection's requests; tells a late callback (an upstream connect finishing
    /// after its exchange ended) that the exchange it was for is gone.
    private(set) var number = 0
    private(set) var head: RequestHead?
    private(set) var logPath: Substring = ""
    private(set) var startedAt = NIODeadline.uptimeNanoseconds(0)
    var upstreamTarget = ""
    /// The request body while it is being collected; handed over with the forward action.
    var body: ByteBuffer?
    var rpcMethod: String?
    /// The tool the tool policy refused (for the log line).
    var refusedTool: String?
    /// The tool policy at work when the request asks `tools/list`; nil for every other request,
    /// whose response streams through untouched.
    var toolList: ToolListResponse?
    /// The status sent to the client; 499 when the client left before it got one.
    var status = 0
    var upstreamStatus = 0
    var bytesOut = 0
    var isEventStream = false
    /// How the response body is framed on the client connection.
    var clientFraming = HeaderRewriting.ClientFraming.asUpstream
    var failure: UpstreamFailure?
    /// When the request went upstream, and when the upstream's response head came back.
    var forwardedAt: NIODeadline?
    var upstreamRespondedAt: NIODeadline?
    /// The start of an upstream error body (status 400 and up), for the log line.
    private(set) var errorSnippet: ByteBuffer?
    private(set) var errorTruncated = false

    static let errorSnippetLimit = 512

    var method: String { head?.method ?? "" }
    var isKeepAlive: Bool { head?.isKeepAlive ?? false }
    var isHTTP11: Bool { head?.isHTTP11 ?? false }

    /// Starts the next request on the connection, forgetting everything about the previous one.
    mutating func begin(_ head: RequestHead, at now: NIODeadline) {
        self = RequestExchange(number: number &+ 1, head: head, logPath: RequestRouter.logPath(head.target), startedAt: now)
    }

    private init(number: Int, head: RequestHead, logPath: Substring, startedAt: NIODeadline) {
        self.number = number
        self.head = head
        self.logPath = logPath
        self.startedAt = startedAt
    }

    init() {}

    mutating func captureErrorBody(_ buffer: ByteBuffer) {
        guard upstreamStatus >= 400 else { return }
        let room = Self.errorSnippetLimit - (errorSnippet?.readableBytes ?? 0)
        guard room > 0 else {
            errorTruncated = errorTruncated || buffer.readableBytes > 0
            return
        }
        var slice = buffer.getSlice(at: buffer.readerIndex, length: min(room, buffer.readableBytes))!
        if buffer.readableBytes > room { errorTruncated = true }
        if errorSnippet == nil { errorSnippet = slice } else { errorSnippet!.writeBuffer(&slice) }
    }
}
