import MCPMessages
import NIOCore
import ProxyDataPlane

/// One upstream exchange of the bridge: a client message POSTed, the GET stream, or the final
/// DELETE. It turns what comes back into messages for stdout (through the bridge, which owns
/// stdout and the session) and makes sure a request is never left without an answer.
final class BridgeCall: UpstreamCallDelegate {
    enum Purpose {
        case message(ClientMessage)
        case stream
        case deleteSession
    }

    let purpose: Purpose
    private weak var bridge: StdioBridge?
    var upstream: UpstreamCall?
    /// Whether the request went out inside a session (a 404 then means the session is gone).
    var sentInSession = false
    /// Whether it went out at all (a queued request has not yet).
    var wasSent = false
    /// The tool policy's filter when the message asks `tools/list`: refused tools are removed
    /// from the list before the client sees it.
    var toolListFilter: ToolListFilter?
    /// The `Mcp-Param-*` headers of a 2026-07-28 `tools/call`.
    var paramHeaders: [(String, String)] = []
    /// Requests of this call the client cancelled: their end without an answer is expected.
    /// Kept with the call, so they are forgotten with it.
    var cancelledIDs: [JSONNode] = []
    private(set) var head: UpstreamCall.Head?
    private var body = ByteBuffer()
    /// An error body was cut at its first 512 bytes.
    private var errorBodyTruncated = false
    private var events: EventStreamDecoder
    /// The request ids of this call that got their response on stdout.
    private var answered: [JSONNode] = []
    private let maximumMessageBytes: Int

    init(purpose: Purpose, bridge: StdioBridge, maximumMessageBytes: Int) {
        self.purpose = purpose
        self.bridge = bridge
        self.maximumMessageBytes = maximumMessageBytes
        events = EventStreamDecoder(maximumLineBytes: maximumMessageBytes)
    }

    /// The ids the client waits for on this call.
    var requestIDs: [JSONNode] {
        guard case .message(let message) = purpose else { return [] }
        switch message.kind {
        case .request(let id): return [id]
        case .batch(let ids): return ids
        case .notification, .response: return []
        }
    }

    var unansweredIDs: [JSONNode] { requestIDs.filter { !answered.contains($0) } }

    var method: String? {
        guard case .message(let message) = purpose else { return nil }
        return message.method
    }

    /// The revision the message named for itself (2026-07-28 and later), nil in a session.
    var revision: String? {
        guard case .message(let message) = purpose else { return nil }
        return message.declaredRevision
    }

    /// Requests count against `max_upstream_connections`; notifications, responses, the GET
    /// stream and the DELETE do not, so that a cancellation never waits behind what it cancels;
    /// nor does a `subscriptions/listen` stream, which lasts as long as the session and would
    /// otherwise hold a slot for good.
    var holdsConnectionSlot: Bool { !requestIDs.isEmpty && method != "subscriptions/listen" }

    var isSuccess: Bool { head.map { (200..<300).contains($0.status) } ?? false }

    // MARK: UpstreamCallDelegate

    func upstreamCall(_ call: UpstreamCall, receivedHead head: UpstreamCall.Head) {
        self.head = head
        bridge?.callReceivedHead(self, head)
    }

    func upstreamCall(_ call: UpstreamCall, receivedBody buffer: ByteBuffer) {
        guard let head else { return }
        if head.isContentCoded, isSuccess {
            // The bridge asks for no coding; a coded body cannot be read, so nothing of it passes.
            stop(reason: "the upstream's response has a Content-Encoding the bridge cannot read")
            return
        }
        if head.isEventStream, isSuccess {
            do {
                for event in try events.feed(buffer) {
                    bridge?.streamEvent(event, from: self)
                }
            } catch {
                stop(reason: "an event stream line of the upstream exceeds \(maximumMessageBytes) bytes")
            }
            return
        }
        // A plain body: kept whole for a JSON answer, or its first bytes for an error message.
        let room = isSuccess ? maximumMessageBytes - body.readableBytes : max(0, 512 - body.readableBytes)
        guard buffer.readableBytes <= room else {
            if isSuccess { stop(reason: "the upstream's response exceeds \(maximumMessageBytes) bytes") }
            body.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex, length: room)!)
            errorBodyTruncated = true
            return
        }
        body.writeImmutableBuffer(buffer)
    }

    func upstreamCallEnded(_ call: UpstreamCall) {
        upstream = nil
        // An error body becomes the client's error detail: an upstream that echoes the request's
        // headers must not hand the client the profile's credential through it.
        if !isSuccess, body.readableBytes > 0 {
            body = ByteBuffer(bytes: call.redactingCredentials(body.readableBytesView, truncated: errorBodyTruncated))
        }
        bridge?.callEnded(self, body: body)
    }

    func upstreamCall(_ call: UpstreamCall, failed reason: String, timedOut: Bool) {
        upstream = nil
        bridge?.callFailed(self, reason: reason)
    }

    /// Ends the call from the bridge's side and reports `reason` as its failure.
    func stop(reason: String) {
        upstream?.cancel()
        upstream = nil
        bridge?.callFailed(self, reason: reason)
    }

    /// Closes the exchange on the client's behalf: the upstream sees its response stream closed
    /// (2026-07-28's cancellation over HTTP); the client, which cancelled, gets no answer.
    func close() {
        upstream?.cancel()
        upstream = nil
        bridge?.callClosed(self)
    }

    func markAnswered(_ id: JSONNode) {
        if requestIDs.contains(id) { answered.append(id) }
    }
}
