import MCPMessages
import NIOCore
import ProxyDataPlane

/// One upstream exchange of the bridge, as the engine runs it: reads what comes back (a plain
/// body up to its limit, or an event stream event by event) and reports it to the bridge under
/// the machine's call id. It decides nothing about the messages; `BridgeStateMachine` does.
///
/// Under `auth_scheme: oauth` an exchange the upstream refuses with 401 is not reported: its
/// answer is dropped and the same request goes once more when the token is newer, as a listener
/// does (docs/oauth.md). The machine sees only the second answer.
final class BridgeCall: UpstreamCallDelegate {
    let id: BridgeStateMachine.CallID
    private weak var bridge: StdioBridge?
    private var upstream: UpstreamCall?
    private var head: UpstreamCall.Head?
    private var body = ByteBuffer()
    /// An error body was cut at its first 512 bytes.
    private var errorBodyTruncated = false
    private var events: EventStreamDecoder
    private let maximumMessageBytes: Int
    /// What `start` was given, kept for the one resend after a refused OAuth token.
    private var sent: (request: BridgeRequest, credentials: UpstreamCredentials, engine: ForwardingEngine, eventLoop: any EventLoop)?
    /// The upstream refused the token this exchange went with: its answer is being dropped.
    private var refusedGeneration: UInt64?
    private var hasResent = false

    init(id: BridgeStateMachine.CallID, bridge: StdioBridge, maximumMessageBytes: Int) {
        self.id = id
        self.bridge = bridge
        self.maximumMessageBytes = maximumMessageBytes
        events = EventStreamDecoder(maximumLineBytes: maximumMessageBytes)
    }

    func start(_ request: BridgeRequest, credentials: UpstreamCredentials, engine: ForwardingEngine, eventLoop: any EventLoop) {
        if credentials.accessToken != nil { sent = (request, credentials, engine, eventLoop) }
        upstream = UpstreamCall(method: request.method, headers: request.headers, body: request.body, credentials: credentials,
                                engine: engine, eventLoop: eventLoop, delegate: self)
    }

    /// Closes the exchange: the upstream sees its response stream closed; nothing more is reported.
    func cancel() {
        upstream?.cancel()
        upstream = nil
        bridge = nil
    }

    func setReading(_ reading: Bool) {
        upstream?.setReading(reading)
    }

    private var isSuccess: Bool { head.map { (200..<300).contains($0.status) } ?? false }

    /// Gives up on the exchange from this side and reports `reason` as its failure.
    private func fail(_ reason: String) {
        upstream?.cancel()
        upstream = nil
        let bridge = bridge
        self.bridge = nil
        bridge?.callFailed(id, reason: reason)
    }

    // MARK: UpstreamCallDelegate

    func upstreamCall(_ call: UpstreamCall, receivedHead head: UpstreamCall.Head) {
        if head.status == 401, sent != nil, !hasResent {
            refusedGeneration = call.signedTokenGeneration
            return
        }
        self.head = head
        bridge?.callReceivedHead(id, BridgeResponseHead(status: head.status, isEventStream: head.isEventStream, sessionID: head.sessionID))
    }

    func upstreamCall(_ call: UpstreamCall, receivedBody buffer: ByteBuffer) {
        guard refusedGeneration == nil, let head else { return }
        if head.isContentCoded, isSuccess {
            // The bridge asks for no coding; a coded body cannot be read, so nothing of it passes.
            return fail("the upstream's response has a Content-Encoding the bridge cannot read")
        }
        if head.isEventStream, isSuccess {
            do {
                for event in try events.feed(buffer) {
                    guard let bridge else { return }
                    bridge.callReceivedEvent(id, event)
                }
            } catch {
                fail("an event stream line of the upstream exceeds \(maximumMessageBytes) bytes")
            }
            return
        }
        // A plain body: kept whole for a JSON answer, or its first bytes for an error message.
        let room = isSuccess ? maximumMessageBytes - body.readableBytes : max(0, 512 - body.readableBytes)
        guard buffer.readableBytes <= room else {
            if isSuccess { return fail("the upstream's response exceeds \(maximumMessageBytes) bytes") }
            body.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex, length: room)!)
            errorBodyTruncated = true
            return
        }
        body.writeImmutableBuffer(buffer)
    }

    func upstreamCallEnded(_ call: UpstreamCall) {
        upstream = nil
        if let refused = refusedGeneration { return resend(afterRefusing: refused) }
        // An error body becomes the client's error detail: an upstream that echoes the request's
        // headers must not hand the client the profile's credential through it.
        if !isSuccess, body.readableBytes > 0 {
            body = ByteBuffer(bytes: call.redactingCredentials(body.readableBytesView, truncated: errorBodyTruncated))
        }
        let bridge = bridge
        self.bridge = nil
        bridge?.callEnded(id, body: body)
    }

    func upstreamCall(_ call: UpstreamCall, failed reason: String, timedOut: Bool) {
        upstream = nil
        // The refused answer's connection broke: it was not wanted anyway.
        if let refused = refusedGeneration { return resend(afterRefusing: refused) }
        let bridge = bridge
        self.bridge = nil
        bridge?.callFailed(id, reason: reason)
    }

    /// Tells the token's keeper, and sends the request again once the token is newer than the
    /// refused one (or gone: the call then fails with the login error).
    private func resend(afterRefusing generation: UInt64) {
        guard let sent, let slot = sent.credentials.accessToken else { return }
        refusedGeneration = nil
        hasResent = true
        let bound = NIOLoopBound(self, eventLoop: sent.eventLoop)
        let loop = sent.eventLoop
        slot.whenRenewed(after: generation) {
            loop.execute {
                let call = bound.value
                guard call.bridge != nil, let sent = call.sent else { return }
                call.upstream = UpstreamCall(method: sent.request.method, headers: sent.request.headers, body: sent.request.body,
                                             credentials: sent.credentials, engine: sent.engine, eventLoop: sent.eventLoop, delegate: call)
            }
        }
        slot.reportRejected(generation: generation)
    }
}
