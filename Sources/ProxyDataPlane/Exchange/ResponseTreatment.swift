import MCPMessages
import NIOCore

/// How a response body reaches the client. A request's checks choose it (today only the tool
/// policy, for `tools/list` answers and the responses a GET stream replays); the exchange machine
/// applies it without knowing why: pass through, collect whole and rewrite, or rewrite event by event.
///
/// The rewriting cases are indirect, so a request without a policy carries one small value.
enum ResponseTreatment {
    case passThrough
    /// A JSON body is collected whole and rewritten; an event stream is rewritten event by event.
    indirect case rewritten(ToolListFilter)
    /// An event stream is rewritten event by event; any other body passes through.
    indirect case eventsRewritten(ToolListFilter)

    /// What the treatment does with one response.
    enum Application {
        case passThrough
        case collectWhole(CollectedResponse)
        case rewriteEvents(EventStreamToolListFilter)
        /// The body cannot be rewritten (compressed): never relay it as it is.
        case refuse(ToolListFilter, ToolListFilter.Failure)
    }

    /// The upstream will be asked not to compress a body the proxy rewrites.
    var rewritesBody: Bool {
        if case .passThrough = self { return false }
        return true
    }

    /// Only successful responses with a body are rewritten.
    func application(to head: ResponseHead, limit: Int, profile: String) -> Application {
        let filter: ToolListFilter
        switch self {
        case .passThrough: return .passThrough
        case .rewritten(let f): filter = f
        case .eventsRewritten(let f):
            guard head.isEventStream else { return .passThrough }
            filter = f
        }
        guard (200..<300).contains(head.status), head.framing != .none else { return .passThrough }
        guard !head.isContentCoded else { return .refuse(filter, .contentCoded) }
        if head.isEventStream { return .rewriteEvents(EventStreamToolListFilter(filter: filter, limit: limit, profile: profile)) }
        if case .contentLength(let length) = head.framing, length > limit { return .refuse(filter, .tooLarge) }
        return .collectWhole(CollectedResponse(head: head, filter: filter, limit: limit))
    }
}

/// A JSON response held whole until its end, then rewritten (or passed on as it came when the
/// rewrite changes nothing), with its own Content-Length either way.
struct CollectedResponse {
    let head: ResponseHead
    private(set) var filter: ToolListFilter
    private let limit: Int
    private var body: ByteBuffer?

    init(head: ResponseHead, filter: ToolListFilter, limit: Int) {
        self.head = head
        self.filter = filter
        self.limit = limit
    }

    /// False once the body outgrows the limit.
    mutating func append(_ buffer: ByteBuffer) -> Bool {
        if var collected = body {
            var buffer = buffer
            body = nil
            collected.writeBuffer(&buffer)
            body = collected
        } else {
            body = buffer
        }
        return (body?.readableBytes ?? 0) <= limit
    }

    enum Outcome {
        case body(ByteBuffer)
        case failed(ToolListFilter.Failure)
    }

    mutating func finish() -> Outcome {
        let body = self.body ?? ByteBuffer()
        self.body = nil
        switch JSONNode.parsing(body.readableBytesView, rejectingDuplicateKeys: true) {
        case .success(let message):
            guard let filtered = filter.filter(message) else { return .body(body) }
            return .body(ByteBuffer(string: filtered.serialized))
        case .failure(let failure):
            return .failed(.unreadable(failure))
        }
    }
}
