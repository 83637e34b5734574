import NIOCore
import ProxyLogging

/// What an `UpstreamCall` reports, in order: one head, body bytes as they arrive, then `ended`
/// or `failed` (exactly one of the two, and nothing after it). Every call happens on the event
/// loop the call was started on.
package protocol UpstreamCallDelegate: AnyObject {
    func upstreamCall(_ call: UpstreamCall, receivedHead head: UpstreamCall.Head)
    /// A slice of the de-chunked body.
    func upstreamCall(_ call: UpstreamCall, receivedBody buffer: ByteBuffer)
    func upstreamCallEnded(_ call: UpstreamCall)
    /// `reason` names the failure for an error message (never a credential).
    func upstreamCall(_ call: UpstreamCall, failed reason: String, timedOut: Bool)
}

/// One request the proxy itself originates to a profile's upstream, through the same pool,
/// signer, TLS set-up and strict response parser as the listener's forwarded requests. The stdio
/// bridge is built on it: it has no client connection to relay, only messages to send.
package final class UpstreamCall: UpstreamResponseReceiver {
    /// The parts of the response head a caller acts on.
    package struct Head {
        package let status: Int
        /// Lower-cased media type without parameters (`application/json`), when sent.
        package let mediaType: String?
        package let isEventStream: Bool
        package let sessionID: String?
        /// A `Content-Encoding` other than `identity`, which no caller here can read.
        package let isContentCoded: Bool
    }

    private let credentials: UpstreamCredentials
    private let engine: ForwardingEngine
    private let eventLoop: any EventLoop
    private weak var delegate: (any UpstreamCallDelegate)?
    private var connection: UpstreamPool.Connection?
    private var isFinished = false
    private var deadline: Scheduled<Void>?
    private let method: String
    private let target: String
    private let signedAtMilliseconds: Int64
    /// `auth_scheme: oauth`: the generation of the token this call went with (a caller that sees
    /// a 401 waits for a newer one; see `AccessTokenSlot`).
    package let signedTokenGeneration: UInt64

    /// Sends `method` to the profile's upstream MCP endpoint with `headers`, signed for the
    /// profile's scheme. `request_timeout` bounds the call until a head arrives and, for a plain
    /// response, until its end; an event stream runs as long as it lasts (cancel it to stop).
    package init(method: String, headers: [(String, String)], body: ByteBuffer?, credentials: UpstreamCredentials,
                engine: ForwardingEngine, eventLoop: any EventLoop, delegate: any UpstreamCallDelegate) {
        self.credentials = credentials
        self.engine = engine
        self.eventLoop = eventLoop
        self.delegate = delegate
        eventLoop.preconditionInEventLoop()
        let endpoint = credentials.endpoint
        let target = endpoint.url.basePath.isEmpty ? "/" : endpoint.url.basePath
        self.method = method
        self.target = target
        signedAtMilliseconds = LogClock.unixMilliseconds()
        let availability = credentials.availability
        signedTokenGeneration = availability.generation
        if let problem = availability.problem {
            // Reported after `init` returns, like every other outcome.
            eventLoop.assumeIsolated().execute { [weak self] in self?.fail(problem, timedOut: false) }
            return
        }
        var bytes = ByteBufferAllocator().buffer(capacity: 512 + (body?.readableBytes ?? 0))
        HeaderRewriting.writeRequest(method: method, target: target, authority: endpoint.authority, body: body, into: &bytes, fields: { out in
            for (name, value) in headers {
                // Header values come from messages; the caller encodes them, this is the last guard.
                precondition(!value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }, "a header value with CR, LF or NUL")
                HeaderRewriting.writeField(name, value, into: &out)
            }
        }, credential: { out in
            credentials.sign(method: method, target: target, body: body, unixMilliseconds: signedAtMilliseconds) { name, value in
                HeaderRewriting.writeField(name, value, into: &out)
            }
        })
        deadline = eventLoop.assumeIsolated().scheduleTask(in: endpoint.requestTimeout) { [weak self] in
            self?.fail("upstream did not answer within request_timeout", timedOut: true)
        }
        engine.pool(for: eventLoop).send(bytes, to: endpoint, forExchange: 0, from: self)
    }

    /// `bytes` (the start of the upstream's body, `truncated` when there was more) with every
    /// credential this call sent replaced by `[redacted]`: for error details shown to a client.
    package func redactingCredentials(_ bytes: some Collection<UInt8>, truncated: Bool) -> [UInt8] {
        CredentialRedaction(credentials: credentials, method: method, target: target, unixMilliseconds: signedAtMilliseconds).redact(bytes, truncated: truncated)
    }

    /// Stops the call: the upstream connection is closed (its response can no longer be reused)
    /// and the delegate hears nothing more.
    package func cancel() {
        guard !isFinished else { return }
        isFinished = true
        deadline?.cancel()
        connection?.handler.abandon()
        connection = nil
    }

    /// Backpressure: stop or resume reading the upstream while the consumer is not keeping up.
    package func setReading(_ reading: Bool) {
        connection?.setReading(reading)
    }

    private func fail(_ reason: String, timedOut: Bool) {
        guard !isFinished else { return }
        let delegate = delegate
        cancel()
        delegate?.upstreamCall(self, failed: reason, timedOut: timedOut)
    }

    // MARK: UpstreamResponseReceiver

    /// A call has one exchange: it wants its upstream until it is finished (ended, failed, cancelled).
    func wantsUpstream(forExchange number: Int) -> Bool { !isFinished }

    func upstreamAttached(_ connection: UpstreamPool.Connection) {
        self.connection = connection
    }

    func upstreamResponseHead(_ head: ResponseHead) {
        guard !isFinished else { return }
        var mediaType: String?
        var sessionID: String?
        head.bytes.withUnsafeReadableBytes { raw in
            for field in head.fields {
                let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
                let value = String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self)
                if ASCII.equalsIgnoringCase(name, "content-type") {
                    mediaType = value.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() }
                } else if ASCII.equalsIgnoringCase(name, "mcp-session-id") {
                    sessionID = value
                }
            }
        }
        if head.isEventStream { deadline?.cancel() }
        delegate?.upstreamCall(self, receivedHead: Head(status: head.status, mediaType: mediaType, isEventStream: head.isEventStream, sessionID: sessionID,
                                                        isContentCoded: head.isContentCoded))
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard !isFinished else { return }
        delegate?.upstreamCall(self, receivedBody: buffer)
    }

    func upstreamReadComplete() {}

    func upstreamResponseEnd() {
        guard !isFinished else { return }
        isFinished = true
        deadline?.cancel()
        connection = nil
        delegate?.upstreamCallEnded(self)
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        connection = nil
        fail(failure.summary, timedOut: failure == .timedOut)
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
